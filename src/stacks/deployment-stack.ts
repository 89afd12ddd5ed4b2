import { Construct, Node } from "constructs";
import {
  CloudBackend,
  LocalBackend,
  NamedCloudWorkspace,
  S3Backend,
  TaggedCloudWorkspaces,
  TerraformElement,
  TerraformStack,
} from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BackendConfig, ClusterConfig, ServerConfig } from "../config/schema";
import { requiredTerraformVersion } from "../config/terraform";

/**
 * Terraform runs in `cdktf.out/stacks/<name>`: a local state path relative to the project directory is written
 * relative to that directory, so the JSON holds no absolute path and the state stays out of `cdktf.out`.
 */
export const PROJECT_DIR_FROM_STACK_DIR = "../../..";

export interface DeploymentStackProps {
  /** The stack id: `cdktf.out/stacks/<name>`, the default state file `terraform.<name>.tfstate`. */
  readonly name: string;
  readonly region: string;
  readonly backend: BackendConfig;
  /** The stack's `required_version`: `>= <this>`. */
  readonly requiredTerraformVersion: string;
  /** The provider's `default_tags`. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Construct paths below the stack whose resources keep a fixed Terraform name (the guide's `ec2`, ...).
   * @default - none */
  readonly fixedNames?: Readonly<Record<string, string>>;
  /** Construct ids left out of the readable names (a construct that wraps the whole deployment). @default - none */
  readonly transparentIds?: readonly string[];
}

/**
 * The props of a Keycloak deployment's stack (dev, production, cluster) from its config: its name, region, backend,
 * Terraform version, the provider's default tags, and `wrapperId`, the construct that holds the whole deployment,
 * left out of the Terraform names.
 */
export function deploymentStackProps(config: ServerConfig | ClusterConfig, wrapperId: string): DeploymentStackProps {
  return {
    name: config.name,
    region: config.region,
    backend: config.backend,
    requiredTerraformVersion: requiredTerraformVersion(config),
    tags: { Application: "keycloak", Deployment: config.name, ManagedBy: "cdktf", ...config.tags },
    transparentIds: [wrapperId],
  };
}

/**
 * A stack as a deployment needs it: its backend, the AWS provider, the Terraform version, and readable Terraform
 * names (the construct path below the stack joined with `_`, `network_security_group`) instead of cdktf's hashed
 * ones, so that ops reading the HCL see what each resource is.
 */
export class DeploymentStack extends TerraformStack {
  private readonly fixedNames: Readonly<Record<string, string>>;
  private readonly transparentIds: ReadonlySet<string>;

  constructor(scope: Construct, props: DeploymentStackProps) {
    super(scope, props.name);
    this.fixedNames = props.fixedNames ?? {};
    this.transparentIds = new Set(props.transparentIds ?? []);
    // Terraform reads a bare "aws" as hashicorp/aws; ops expect the full source address.
    this.addOverride("terraform.required_providers.aws.source", "hashicorp/aws");
    this.addOverride("terraform.required_version", `>= ${props.requiredTerraformVersion}`);
    this.configureBackend(props.name, props.backend);
    const tags = props.tags ?? {};
    new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: Object.keys(tags).length ? [{ tags }] : undefined,
    });
  }

  private configureBackend(name: string, backend: BackendConfig): void {
    switch (backend.type) {
      case "local":
        new LocalBackend(this, {
          path: `${PROJECT_DIR_FROM_STACK_DIR}/${backend.path ?? `terraform.${name}.tfstate`}`,
        });
        return;
      case "s3":
        new S3Backend(this, {
          bucket: backend.bucket,
          key: backend.key,
          region: backend.region,
          encrypt: backend.encrypt,
          kmsKeyId: backend.kmsKeyId,
          dynamodbTable: backend.dynamodbTable,
          profile: backend.profile,
        });
        // cdktf 0.21's S3Backend has no use_lockfile (Terraform 1.10+): set it on the backend block directly.
        if (backend.useLockfile) this.addOverride("terraform.backend.s3.use_lockfile", true);
        return;
      case "cloud":
        new CloudBackend(this, {
          organization: backend.organization,
          hostname: backend.hostname,
          workspaces: backend.workspace
            ? new NamedCloudWorkspace(backend.workspace)
            : new TaggedCloudWorkspaces([...backend.workspaceTags!]),
        });
        return;
    }
  }

  /** Looked up when cdktf allocates ids, so fixed names hold however early a reference to the resource is taken. */
  protected allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const components = node.scopes.slice(node.scopes.indexOf(this) + 1).map((scope) => scope.node.id);
    const fixed = this.fixedNames[components.join("/")];
    if (fixed) return fixed;
    const shown = components.length > 1 ? components.filter((id) => !this.transparentIds.has(id)) : components;
    return shown.join("_").replace(/[^A-Za-z0-9_-]/g, "_");
  }
}
