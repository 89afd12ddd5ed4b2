import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exportHcl } from "../../src/hcl/export";
import { synthesize } from "./synth";

// The variables' validation rules, evaluated by Terraform itself: `terraform console` reads the exported
// variables.tf (it needs no provider). Skipped, saying so, on a machine without terraform.
const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0;
const withTerraform = terraform ? it : it.skip;
if (!terraform) console.warn("terraform not on PATH: the variable validation rules are not evaluated here");

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-variables-"));
  const files = await exportHcl(JSON.parse(synthesize({ httpsCidrs: ["2001:DB8::/32", "0.0.0.0/0"] }).json));
  fs.writeFileSync(path.join(dir, "variables.tf"), files["variables.tf"]);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The error Terraform gives for these -var values, or "" when it accepts them. */
function refusal(...vars: string[]): string {
  const result = spawnSync("terraform", ["console", ...vars.flatMap((v) => ["-var", v])], {
    cwd: dir,
    input: "var.instance_type\n",
    encoding: "utf8",
    env: { ...process.env, TF_CLI_ARGS: "-no-color", CHECKPOINT_DISABLE: "1" },
  });
  // console reports a failed validation on stderr and still exits 0.
  return /Error:/.test(result.stderr) ? result.stderr.replace(/\s+/g, " ") : "";
}

describe("the stack's Terraform variables, checked by Terraform", () => {
  withTerraform(
    "accept the config's own values (CIDRs written as Terraform writes them) and good ones",
    () => {
      expect(refusal()).toBe("");
      expect(refusal("instance_type=t4g.small", 'https_cidrs=["203.0.113.0/24"]', "root_volume_size=30")).toBe("");
      // admin_cidrs: null (follow https_cidrs), empty (nobody) or networks.
      expect(refusal("admin_cidrs=null")).toBe("");
      expect(refusal("admin_cidrs=[]")).toBe("");
      expect(refusal('admin_cidrs=["198.51.100.0/24", "2001:db8::/48"]')).toBe("");
    },
    60_000,
  );

  withTerraform.each([
    ["instance_type=a1.large", /instance_type must be of a family Amazon Linux 2023 runs on/],
    ["instance_type=t3", /instance_type must be an EC2 instance type/],
    ['https_cidrs=["10.0.0.1/24"]', /network CIDR, host bits zero/],
    ["https_cidrs=[]", /https_cidrs must not be empty/],
    ['admin_cidrs=["198.51.100.7/24"]', /Each of admin_cidrs must be an IPv4 or IPv6 network CIDR/],
    ["root_volume_size=7", /root_volume_size must be a whole number/],
    ["keycloak_version=27.0.0", /keycloak_version must be an exact Keycloak 26\.x release/],
  ])("refuse %s", (value, message) => expect(refusal(value)).toMatch(message), 60_000);
});
