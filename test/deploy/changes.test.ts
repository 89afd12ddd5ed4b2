import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { changeWarnings, deployedChangeWarnings } from "../../src/deploy/changes";
import { serverConfig } from "../server-config";

// What synth, diff and deploy say before a change that replaces the instance or that AWS refuses, from the values the
// deployment was created with (its outputs file).
const DEPLOYED = { availability_zone: "eu-west-3a", key_name: "", data_volume_size: 10 };
const config = (raw: Record<string, unknown> = {}) => serverConfig({ region: "eu-west-3", ...raw });

describe("change warnings", () => {
  it("says nothing when nothing of consequence changes", () => {
    expect(changeWarnings(config({ instanceType: "t3.medium", dataVolumeSize: 20 }), DEPLOYED)).toEqual([]);
  });

  it("names keyName when a key pair comes or goes: EC2 replaces the instance, the data volume keeps the data", () => {
    // GIVEN / WHEN
    const [warning, ...others] = changeWarnings(config({ keyName: "ops" }), DEPLOYED);
    // THEN
    expect(others).toEqual([]);
    expect(warning).toMatch(
      /^change warning: keyName: no key pair becomes key pair "ops": EC2 cannot change an instance's key pair, so Terraform replaces the instance \(the data volume keeps every realm and user/,
    );
    expect(changeWarnings(config(), { ...DEPLOYED, key_name: "ops" })[0]).toMatch(
      /^change warning: keyName: key pair "ops" becomes no key pair:/,
    );
  });

  it("names availabilityZone when the zone moves away from the volume's, with the zone to write", () => {
    expect(changeWarnings(config({ availabilityZone: "eu-west-3b" }), DEPLOYED)).toEqual([
      expect.stringMatching(
        /^change warning: availabilityZone: the instance and its data volume are in eu-west-3a, the config says eu-west-3b: the plan refuses .* \(set "availabilityZone": "eu-west-3a";/,
      ),
    ]);
    // The default zone of a deployment whose instance EC2 placed elsewhere.
    expect(changeWarnings(config(), { ...DEPLOYED, availability_zone: "eu-west-3c" })).toHaveLength(1);
    // A subnet decides the zone: the plan checks that one.
    expect(
      changeWarnings(config({ subnetId: "subnet-0123456789abcdef0" }), {
        ...DEPLOYED,
        availability_zone: "eu-west-3c",
      }),
    ).toEqual([]);
  });

  it("names the move of Keycloak's address: from :8443 and the DNS name to 443 and the Elastic IP, or a new hostname", () => {
    const before = { ...DEPLOYED, instance_ip: "203.0.113.7" };
    // A deployment from before the proxy: its clients name the old issuer.
    expect(
      changeWarnings(config(), {
        ...before,
        keycloak_url: "https://ec2-203-0-113-7.eu-west-3.compute.amazonaws.com:8443",
      }),
    ).toEqual([
      "change warning: keycloak.hostname: Keycloak moves from https://ec2-203-0-113-7.eu-west-3.compute.amazonaws.com:8443 to https://203.0.113.7: every application's issuer (realm_issuer_url), and tokens issued before, name the old address (update the applications' issuer and Keycloak's URL in them after the deploy; users log in again)",
    ]);
    expect(changeWarnings(config(), { ...before, keycloak_url: "https://203.0.113.7" })).toEqual([]);
    expect(
      changeWarnings(config({ keycloak: { hostname: "sso.example.com" } }), {
        ...before,
        keycloak_url: "https://203.0.113.7",
      }),
    ).toEqual([expect.stringContaining("moves from https://203.0.113.7 to https://sso.example.com:")]);
  });

  it("names dataVolumeSize when it shrinks, which EBS refuses", () => {
    expect(changeWarnings(config({ dataVolumeSize: 8 }), DEPLOYED)).toEqual([
      "change warning: dataVolumeSize: 8 GiB is smaller than the volume's 10 GiB: EBS volumes cannot shrink and the apply would fail (keep 10 or more)",
    ]);
  });

  it("reads the deployment's outputs file, and says nothing without one or with an unreadable one", () => {
    // GIVEN
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-changes-"));
    try {
      const production = config({ keyName: "ops" });
      expect(deployedChangeWarnings(production, dir)).toEqual([]);
      fs.writeFileSync(
        path.join(dir, `${production.name}.outputs.json`),
        JSON.stringify({ [production.name]: DEPLOYED }),
      );
      // WHEN / THEN
      expect(deployedChangeWarnings(production, dir)).toHaveLength(1);
      fs.writeFileSync(path.join(dir, `${production.name}.outputs.json`), "{ not json");
      expect(deployedChangeWarnings(production, dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
