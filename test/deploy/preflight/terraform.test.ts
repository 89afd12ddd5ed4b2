import { requiredTerraformVersion } from "../../../src/config/terraform";
import { checkTerraform, compareVersions, parseTerraformVersion } from "../../../src/deploy/preflight/terraform";
import { SLOW_TEST_MS } from "../../cli/run";
import { synthesize } from "../../stack/synth";
import { config, ok, problem, TERRAFORM, useFakeHome } from "./machine";

const { machine } = useFakeHome();

describe("terraform", () => {
  it("is found on PATH and recent enough", () => {
    expect(ok(checkTerraform(config(), machine({ onPath: TERRAFORM })))).toBe(
      "terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.5.0)",
    );
  });

  it("says how to install it when missing", () => {
    expect(problem(checkTerraform(config(), machine()))).toBe(
      'doctor error: terraform: "terraform" not found on PATH (this stack needs Terraform 1.5.0 or a later 1.x: install it from HashiCorp\'s apt repository, ' +
        "see https://developer.hashicorp.com/terraform/install, or the zip at https://releases.hashicorp.com/terraform/; or use OpenTofu 1.5.0 or later with TERRAFORM_BINARY_NAME=tofu)",
    );
  });

  it("looks for $TERRAFORM_BINARY_NAME instead, as cdktf does", () => {
    const env = { TERRAFORM_BINARY_NAME: "tofu" };
    expect(problem(checkTerraform(config(), machine({ env, onPath: TERRAFORM })))).toMatch(
      /^doctor error: terraform: TERRAFORM_BINARY_NAME "tofu" not found on PATH \(/,
    );
    expect(
      ok(
        checkTerraform(
          config(),
          machine({
            env,
            onPath: { tofu: "/usr/bin/tofu" },
            version: { status: 0, stdout: '{"terraform_version":"1.10.6"}' },
          }),
        ),
      ),
    ).toBe("terraform: 1.10.6 at /usr/bin/tofu (this stack needs >= 1.5.0)");
  });

  it.each([
    ["production", {}, "1.4.6", "1.5.0"],
    [
      "s3 with the lock file",
      { backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1" } },
      "1.9.8",
      "1.10.0",
    ],
    ["article", { profile: "article" }, "1.2.7", "1.2.8"],
  ])("refuses a version older than the stack's required_version (%s)", (_, raw, version, minimum) => {
    const found = checkTerraform(
      config(raw),
      machine({ onPath: TERRAFORM, version: { status: 0, stdout: `{"terraform_version":"${version}"}` } }),
    );
    expect(problem(found)).toMatch(
      new RegExp(
        `^doctor error: terraform: /opt/bin/terraform is version ${version.replace(/\./g, "\\.")}, older than ${minimum.replace(/\./g, "\\.")} \\(this stack needs Terraform ${minimum}`,
      ),
    );
  });

  it("accepts older versions where the stack allows them", () => {
    const v = (stdout: string) => machine({ onPath: TERRAFORM, version: { status: 0, stdout } });
    expect(ok(checkTerraform(config({ profile: "article" }), v('{"terraform_version":"1.2.8"}')))).toBeDefined();
    expect(
      ok(
        checkTerraform(
          config({
            backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1", dynamodbTable: "locks" },
          }),
          v('{"terraform_version":"1.9.8"}'),
        ),
      ),
    ).toBeDefined();
  });

  it("reports a binary that does not run", () => {
    expect(
      problem(checkTerraform(config(), machine({ onPath: TERRAFORM, version: { status: 1, stdout: "" } }))),
    ).toMatch(
      /^doctor error: terraform: "\/opt\/bin\/terraform version -json" failed: exit code 1 \(check that installation; /,
    );
    expect(
      problem(
        checkTerraform(
          config(),
          machine({
            onPath: TERRAFORM,
            version: { status: null, stdout: "", error: "spawnSync /opt/bin/terraform EACCES" },
          }),
        ),
      ),
    ).toMatch(/failed: spawnSync \/opt\/bin\/terraform EACCES/);
  });

  it("reads the version from JSON, or from the banner of versions without -json", () => {
    expect(parseTerraformVersion('{"terraform_version":"1.11.4","platform":"linux_amd64"}')).toBe("1.11.4");
    expect(parseTerraformVersion("Terraform v0.12.31\n")).toBe("0.12.31");
    expect(parseTerraformVersion("not a version")).toBeUndefined();
    expect(compareVersions("1.10.0", "1.9.9")).toBeGreaterThan(0);
    expect(compareVersions("1.5.0-beta1", "1.5.0")).toBe(0);
    expect(compareVersions("1.2.7", "1.2.8")).toBeLessThan(0);
  });

  it.each([
    ["production", {}],
    ["dev", { profile: "dev" }],
    ["article", { profile: "article" }],
    ["s3 with the lock file", { backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1" } }],
    [
      "s3 with DynamoDB",
      { backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1", dynamodbTable: "locks" } },
    ],
  ])(
    "requires what the synthesized stack requires (%s)",
    (_, raw) => {
      expect(synthesize(raw).tf.terraform.required_version).toBe(`>= ${requiredTerraformVersion(config(raw))}`);
    },
    SLOW_TEST_MS,
  );
});
