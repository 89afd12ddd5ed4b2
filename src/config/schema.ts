/**
 * The whole configuration of a deployment: one typed object, filled with the defaults of its profile.
 * The README's configuration table documents the same fields; `test/config/readme.test.ts` keeps the two in step.
 */

export const PROFILES = ["article", "dev", "production"] as const;
/** `article`: the guide's Terraform, resource for resource. `dev`: the guide's `start-dev` demo, made safe.
 * `production`: Keycloak in production mode on PostgreSQL with TLS, hardened. */
export type Profile = (typeof PROFILES)[number];

/** The version of quay.io/keycloak/keycloak this release is tested with. */
export const DEFAULT_KEYCLOAK_VERSION = "26.7.4";

export interface KeycloakEc2Config {
  /** Which deployment to synthesize. @default "production" */
  readonly profile: Profile;
  /** Name of the deployment: the cdktf stack id, the default prefix of resource names, the SSM parameter path
   * `/<name>/...`. Lower-case letters, digits and dashes. @default "keycloak-ec2" */
  readonly name: string;
  /** AWS region. A fixed default (not the environment's `AWS_REGION`) keeps the synthesized output the same on
   * every machine. @default "us-east-1" */
  readonly region: string;
  /** EC2 instance type. @default "t2.micro" (article), "t3.small" (dev, production: 2 GiB for Keycloak and
   * PostgreSQL) */
  readonly instanceType: string;
  /** Name of an existing EC2 key pair for SSH. @default - none: no key pair (production and dev use Session
   * Manager); the article profile's `keyname` variable then has no default and Terraform asks for it */
  readonly keyName?: string;
  /** IPv4/IPv6 CIDRs allowed on port 22. @default ["0.0.0.0/0", "::/0"] (article, as the guide), [] (dev,
   * production: no SSH rule at all) */
  readonly sshCidrs: readonly string[];
  /** IPv4/IPv6 CIDRs allowed on Keycloak's HTTPS port 8443. @default ["0.0.0.0/0", "::/0"] */
  readonly httpsCidrs: readonly string[];
  /** Name of the security group. @default "<name>-sg" */
  readonly securityGroupName: string;
  /** `Name` tag of the instance. @default "<name>" */
  readonly instanceName: string;
  /** Extra tags on every resource (the provider's `default_tags`). @default {} */
  readonly tags: Readonly<Record<string, string>>;
  /** Size of the encrypted gp3 root volume in GiB (dev, production). @default 20 */
  readonly rootVolumeSize: number;
  /** Give the instance an Elastic IP so its address and certificate survive stop/start (dev, production).
   * Costs about 3.6 USD a month. @default true */
  readonly elasticIp: boolean;
  /** Replace the instance whenever AWS publishes a newer Amazon Linux 2023 AMI. Off, a new AMI changes nothing
   * until the instance is replaced on purpose. @default false */
  readonly followLatestAmi: boolean;
  /** Keycloak itself (dev, production). */
  readonly keycloak: KeycloakConfig;
  /** Where Terraform keeps its state. @default { "type": "local" } */
  readonly backend: BackendConfig;
}

export interface KeycloakConfig {
  /** Exact tag of quay.io/keycloak/keycloak, a 26.x release. @default DEFAULT_KEYCLOAK_VERSION */
  readonly version: string;
  /** DNS name clients use to reach Keycloak (put in the certificate and in `--hostname`); point it at the
   * Elastic IP yourself. @default - the instance's public DNS name */
  readonly hostname?: string;
  /** User name of the bootstrap administrator of the master realm. @default "admin" */
  readonly adminUser: string;
  /** A certificate of your own, from SSM parameters, instead of the self-signed one made at boot.
   * @default - a self-signed certificate made on the instance */
  readonly tlsCertificate?: TlsCertificateConfig;
  /** The application realm imported at first start. */
  readonly realm: RealmConfig;
}

export interface TlsCertificateConfig {
  /** SSM parameter holding the PEM certificate chain. */
  readonly certificateParameter: string;
  /** SSM SecureString parameter holding the PEM private key. */
  readonly privateKeyParameter: string;
}

export interface RealmConfig {
  /** Realm name. @default "app" */
  readonly name: string;
  /** Public single-page application client (Authorization Code + PKCE S256). */
  readonly spa: SpaClientConfig;
  /** Confidential Backend-for-Frontend client (Authorization Code, tokens stay on the server). */
  readonly bff: BffClientConfig;
  /** Service client for API-to-API calls (Client Credentials). */
  readonly service: ServiceClientConfig;
}

export interface SpaClientConfig {
  /** @default "spa" */
  readonly clientId: string;
  /** Allowed redirect URIs. @default ["http://localhost:5173/*"] */
  readonly redirectUris: readonly string[];
  /** Allowed CORS origins. @default ["http://localhost:5173"] */
  readonly webOrigins: readonly string[];
}

export interface BffClientConfig {
  /** @default "bff" */
  readonly clientId: string;
  /** Allowed redirect URIs (the BFF's callback). @default ["http://localhost:3000/*"] */
  readonly redirectUris: readonly string[];
}

export interface ServiceClientConfig {
  /** @default "service" */
  readonly clientId: string;
}

export type BackendConfig = LocalBackendConfig | S3BackendConfig | CloudBackendConfig;

export interface LocalBackendConfig {
  readonly type: "local";
  /** State file, relative to the project directory. @default "terraform.<name>.tfstate" */
  readonly path?: string;
}

export interface S3BackendConfig {
  readonly type: "s3";
  /** Bucket holding the state (must exist). */
  readonly bucket: string;
  /** Object key of the state file. */
  readonly key: string;
  /** Region of the bucket. */
  readonly region: string;
  /** Encrypt the state at rest. Must stay true: the state holds the generated secrets. @default true */
  readonly encrypt: boolean;
  /** KMS key for the state object. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** Lock with an S3 lock file (Terraform 1.10+). @default true unless dynamodbTable is set */
  readonly useLockfile: boolean;
  /** Lock with this DynamoDB table instead (older Terraform). @default - none */
  readonly dynamodbTable?: string;
  /** AWS shared-config profile used to reach the bucket. @default - the default credentials */
  readonly profile?: string;
}

export interface CloudBackendConfig {
  readonly type: "cloud";
  /** Terraform Cloud / HCP Terraform organization. */
  readonly organization: string;
  /** Workspace name (give this or workspaceTags). */
  readonly workspace?: string;
  /** Workspace tags (give this or workspace). */
  readonly workspaceTags?: readonly string[];
  /** Terraform Enterprise host. @default "app.terraform.io" */
  readonly hostname?: string;
}

const WORLD = ["0.0.0.0/0", "::/0"];

/** The defaults of a profile, for a deployment called `name`. */
export function defaultsFor(profile: Profile, name: string): KeycloakEc2Config {
  return {
    profile,
    name,
    region: "us-east-1",
    instanceType: profile === "article" ? "t2.micro" : "t3.small",
    sshCidrs: profile === "article" ? WORLD : [],
    httpsCidrs: WORLD,
    securityGroupName: `${name}-sg`,
    instanceName: name,
    tags: {},
    rootVolumeSize: 20,
    elasticIp: true,
    followLatestAmi: false,
    keycloak: {
      version: DEFAULT_KEYCLOAK_VERSION,
      adminUser: "admin",
      realm: {
        name: "app",
        spa: { clientId: "spa", redirectUris: ["http://localhost:5173/*"], webOrigins: ["http://localhost:5173"] },
        bff: { clientId: "bff", redirectUris: ["http://localhost:3000/*"] },
        service: { clientId: "service" },
      },
    },
    backend: { type: "local" },
  };
}
