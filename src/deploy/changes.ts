import { outputsFilePath, readOutputs } from "./outputs";
import { KeycloakEc2Config, ServerConfig } from "../config/schema";
import { UserError } from "../errors";

/**
 * What a config change will do to a deployed instance, said before Terraform plans it. The deployment's outputs file
 * (written by deploy and output, from the Terraform state) holds the values the instance was created with; the
 * config in force is compared with them. Only changes that replace something, or that AWS refuses, are named: every
 * other change applies in place (docs/operations.md, "Applying a change").
 */

/** One line per change of consequence, `change warning: <field>: <what happens> (<what to do>)`. */
export function changeWarnings(config: ServerConfig, deployed: Readonly<Record<string, unknown>>): string[] {
  const warnings: string[] = [];
  const warn = (field: string, what: string, then: string) =>
    warnings.push(`change warning: ${field}: ${what} (${then})`);

  if (typeof deployed.key_name === "string") {
    const before = deployed.key_name;
    const after = config.keyName ?? "";
    if (before !== after) {
      warn(
        "keyName",
        `${describeKey(before)} becomes ${describeKey(after)}: EC2 cannot change an instance's key pair, so Terraform replaces the instance`,
        "the data volume keeps every realm and user and the new instance boots from it, a few minutes without Keycloak; use Session Manager instead of SSH to avoid it",
      );
    }
  }

  // The zone is literal unless a subnet decides it, which the plan itself then checks.
  const zone = config.subnetId === undefined ? (config.availabilityZone ?? `${config.region}a`) : undefined;
  if (typeof deployed.availability_zone === "string" && zone !== undefined && deployed.availability_zone !== zone) {
    warn(
      "availabilityZone",
      `the instance and its data volume are in ${deployed.availability_zone}, the config says ${zone}: the plan refuses to move them (a volume cannot leave its zone)`,
      `set "availabilityZone": "${deployed.availability_zone}"; moving zones on purpose goes through a snapshot, docs/operations.md`,
    );
  }

  if (typeof deployed.data_volume_size === "number" && config.dataVolumeSize < deployed.data_volume_size) {
    warn(
      "dataVolumeSize",
      `${config.dataVolumeSize} GiB is smaller than the volume's ${deployed.data_volume_size} GiB: EBS volumes cannot shrink and the apply would fail`,
      `keep ${deployed.data_volume_size} or more`,
    );
  }
  // Keycloak's address: the hostname, else the Elastic IP, on 443 (deployments from before the proxy had :8443 and
  // the public DNS name). Every client's issuer and the admin console's address follow it.
  const host = config.keycloak.hostname ?? deployed.instance_ip;
  if (typeof deployed.keycloak_url === "string" && typeof host === "string" && host !== "") {
    const url = `https://${host}`;
    if (deployed.keycloak_url !== url)
      warn(
        "keycloak.hostname",
        `Keycloak moves from ${deployed.keycloak_url} to ${url}: every application's issuer (realm_issuer_url), and tokens issued before, name the old address`,
        "update the applications' issuer and Keycloak's URL in them after the deploy; users log in again",
      );
  }
  return warnings;
}

const describeKey = (name: string) => (name === "" ? "no key pair" : `key pair "${name}"`);

/**
 * The change warnings of the config in force against its deployment's outputs file under `root`, if there is one:
 * none for a deployment never deployed from here, the guide's stack (which keeps no data) and the cluster (whose
 * instances are replaced by design, and whose database the plan keeps).
 */
export function deployedChangeWarnings(config: KeycloakEc2Config, root: string): string[] {
  if (config.profile === "article" || config.profile === "cluster") return [];
  try {
    return changeWarnings(config, readOutputs(outputsFilePath(root, config.name), config.name));
  } catch (error) {
    // No outputs file, or not one for this deployment: nothing to compare with.
    if (error instanceof UserError) return [];
    throw error;
  }
}
