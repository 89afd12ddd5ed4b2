import { isSmallInstanceType } from "../aws/instance-types";
import { UserError } from "../errors";
import { checkKeys, describe, isJsonObject, Problems, ReadContext } from "./field";
import { COMMON_FIELDS, SERVER_FIELDS } from "./fields";
import { DEFAULT_NAME } from "./profiles";
import { KeycloakEc2Config, ServerConfig } from "./schema";

/** A value given outside the file (a flag or an environment variable), named as the user gave it. */
export interface Override {
  readonly value: string;
  /** How to name it in an error: `--profile`, `KEYCLOAK_EC2_PROFILE`. */
  readonly origin: string;
}

export interface Overrides {
  readonly profile?: Override;
  readonly region?: Override;
}

export interface ValidatedConfig {
  readonly config: KeycloakEc2Config;
  /** Allowed but worth saying, one line each (`config warning: <field>: ...`). */
  readonly warnings: readonly string[];
}

/** Rules across fields of a deployment that runs Keycloak. */
function checkServer(config: ServerConfig, problems: Problems): void {
  if (isSmallInstanceType(config.instanceType)) {
    problems.warn(
      "instanceType",
      `${config.instanceType} has less than 2 GiB of memory: the boot adds a swap file and caps Keycloak's heap; expect slow starts (t3.small is the default)`,
    );
  }
  if (config.httpsCidrs.length === 0)
    problems.add(
      "httpsCidrs",
      "is empty: nobody could reach Keycloak",
      'list who may connect, e.g. ["0.0.0.0/0", "::/0"]',
    );
  if (config.sshCidrs.length > 0 && config.keyName === undefined) {
    problems.warn(
      "sshCidrs",
      "opens port 22 but keyName is not set: nobody can log in over SSH (use Session Manager or set keyName)",
    );
  }
}

/**
 * Checks a parsed config file (or `{}` when there is none) with its overrides, and fills in the profile's defaults.
 * Throws one UserError listing every problem.
 */
export function validateConfig(raw: unknown, overrides: Overrides = {}): ValidatedConfig {
  const problems = new Problems();
  const file = isJsonObject(raw)
    ? raw
    : (problems.add(
        "(file)",
        `the config must be a JSON object, got ${describe(raw)}`,
        'write { "profile": "production", ... }',
      ),
      {});
  checkKeys(file, "", [...Object.keys(COMMON_FIELDS), ...Object.keys(SERVER_FIELDS)], problems);

  // The profile and the name come first: defaults and rules of the other fields depend on them.
  const first: ReadContext = { problems, profile: "production", name: DEFAULT_NAME };
  const profile = COMMON_FIELDS.profile.read(
    overrides.profile?.value ?? file.profile,
    overrides.profile?.origin ?? "profile",
    first,
  );
  const context: ReadContext = { problems, profile, name: COMMON_FIELDS.name.read(file.name, "name", first) };
  const { name } = context;
  const common = {
    name,
    region: COMMON_FIELDS.region.read(
      overrides.region?.value ?? file.region,
      overrides.region?.origin ?? "region",
      context,
    ),
    instanceType: COMMON_FIELDS.instanceType.read(file.instanceType, "instanceType", context),
    keyName: COMMON_FIELDS.keyName.read(file.keyName, "keyName", context),
    sshCidrs: COMMON_FIELDS.sshCidrs.read(file.sshCidrs, "sshCidrs", context),
    httpsCidrs: COMMON_FIELDS.httpsCidrs.read(file.httpsCidrs, "httpsCidrs", context),
    securityGroupName: COMMON_FIELDS.securityGroupName.read(file.securityGroupName, "securityGroupName", context),
    instanceName: COMMON_FIELDS.instanceName.read(file.instanceName, "instanceName", context),
    tags: COMMON_FIELDS.tags.read(file.tags, "tags", context),
    backend: COMMON_FIELDS.backend.read(file.backend, "backend", context),
  };

  let config: KeycloakEc2Config;
  if (profile === "article") {
    for (const key of Object.keys(SERVER_FIELDS).filter((k) => file[k] !== undefined)) {
      problems.warn(
        key,
        "the article profile ignores it: it reproduces the guide's Terraform, which does not run Keycloak (use profile production or dev)",
      );
    }
    config = { profile, ...common };
  } else {
    const server: ServerConfig = {
      profile,
      ...common,
      rootVolumeSize: SERVER_FIELDS.rootVolumeSize.read(file.rootVolumeSize, "rootVolumeSize", context),
      elasticIp: SERVER_FIELDS.elasticIp.read(file.elasticIp, "elasticIp", context),
      followLatestAmi: SERVER_FIELDS.followLatestAmi.read(file.followLatestAmi, "followLatestAmi", context),
      keycloak: SERVER_FIELDS.keycloak.read(file.keycloak, "keycloak", context),
    };
    checkServer(server, problems);
    config = server;
  }
  if (problems.lines.length) throw new UserError(problems.lines);
  return { config, warnings: problems.warnings };
}
