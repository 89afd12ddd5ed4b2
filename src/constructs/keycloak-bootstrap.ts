import { Construct } from "constructs";
import { Fn, TerraformLocal } from "cdktf";
import { BootInput, bootSettings, cloudConfig, settingsFile, staticBootFiles } from "../boot/cloud-config";
import { RealmSettings } from "../boot/realm";
import { escapeTemplate } from "../text/template";
import { isKnown, propError } from "./validation";

export interface KeycloakBootstrapProps extends BootInput {
  /** The application realm imported at first start. */
  readonly realm: RealmSettings;
}

/**
 * Everything the instance does at first boot, as one cloud-config document: the guide's manual steps after SSH
 * (PostgreSQL, certificate, Keycloak in Docker, realm import), done at boot. The document is a Terraform local
 * so that ops read it as text in the plan and the HCL; the instance receives it gzip-compressed. Values in
 * `BootInput` may be Terraform references: they go into the settings file, which Terraform renders.
 */
export class KeycloakBootstrap extends Construct {
  /** The cloud-config document, as Terraform will render it. */
  public readonly cloudConfig: TerraformLocal;
  /** `base64gzip(local.<cloud config>)`, for the instance's `user_data_base64`. */
  public readonly userDataBase64: string;

  constructor(scope: Construct, id: string, props: KeycloakBootstrapProps) {
    super(scope, id);
    if (isKnown(props.keycloakVersion) && !/^26\.\d+\.\d+$/.test(props.keycloakVersion)) {
      throw propError(
        "KeycloakBootstrap",
        "keycloakVersion",
        `must be an exact Keycloak 26.x release such as "26.7.4", got "${props.keycloakVersion}"`,
      );
    }
    if (isKnown(props.realm.name) && (props.realm.name === "master" || !/^[A-Za-z0-9_-]+$/.test(props.realm.name))) {
      throw propError(
        "KeycloakBootstrap",
        "realm.name",
        `must be letters, digits, _ and - and not "master" (Keycloak's administration realm), got "${props.realm.name}"`,
      );
    }
    // The settings file single-quotes every value for bash.
    for (const prop of [
      "region",
      "keycloakVersion",
      "parameterPrefix",
      "adminUser",
      "hostname",
      "publicDns",
      "publicIp",
    ] as const) {
      const value = props[prop];
      if (value !== undefined && isKnown(value) && /['\n]/.test(value)) {
        throw propError("KeycloakBootstrap", prop, "must not hold quotes or line breaks");
      }
    }
    const settings = settingsFile(bootSettings(props));
    this.cloudConfig = new TerraformLocal(
      this,
      "cloud_config",
      cloudConfig(settings, staticBootFiles(props.mode, props.realm), escapeTemplate),
    );
    this.userDataBase64 = Fn.base64gzip(this.cloudConfig.asString);
  }
}
