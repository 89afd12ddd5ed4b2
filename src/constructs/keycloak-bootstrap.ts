import { Construct } from "constructs";
import { Fn, TerraformLocal } from "cdktf";
import { KeycloakEc2Config } from "../config/schema";
import { bootSettings, cloudConfig, settingsFile, staticBootFiles } from "../boot/cloud-config";
import { escapeTemplate } from "../text/template";

export interface KeycloakBootstrapProps {
  /** The deployment (dev or production profile). */
  readonly config: KeycloakEc2Config;
  /** The Elastic IP's DNS name (a reference), put in the certificate and the hostname.
   * @default - the instance's own, read from its metadata at boot */
  readonly publicDns?: string;
  /** The Elastic IP's address (a reference), put in the certificate. @default - the instance's own */
  readonly publicIp?: string;
}

/**
 * Everything the instance does at first boot, as one cloud-config document: the guide's manual steps after SSH
 * (PostgreSQL, certificate, Keycloak in Docker, realm import), done at boot. The document is a Terraform local
 * so that ops read it as text in the plan and the HCL; the instance receives it gzip-compressed.
 */
export class KeycloakBootstrap extends Construct {
  /** The cloud-config document, as Terraform will render it. */
  public readonly cloudConfig: TerraformLocal;
  /** `base64gzip(local.<cloud config>)`, for the instance's `user_data_base64`. */
  public readonly userDataBase64: string;

  constructor(scope: Construct, id: string, props: KeycloakBootstrapProps) {
    super(scope, id);
    if (props.config.profile === "article") throw new Error("KeycloakBootstrap: the article profile does not run Keycloak");
    const settings = settingsFile(bootSettings(props.config, { publicDns: props.publicDns, publicIp: props.publicIp }));
    this.cloudConfig = new TerraformLocal(this, "cloud_config", cloudConfig(settings, staticBootFiles(props.config), escapeTemplate));
    this.userDataBase64 = Fn.base64gzip(this.cloudConfig.asString);
  }
}
