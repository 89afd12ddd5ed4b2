import { BackendConfig } from "../../src/config/schema";
import { migration, recordedBackend } from "../../src/deploy/migrate-state";

const LOCAL: BackendConfig = { type: "local" } as BackendConfig;
const S3 = { type: "s3", bucket: "acme-state", key: "k", region: "eu-west-3" } as BackendConfig;
const CLOUD = { type: "cloud", organization: "acme", workspace: "sso" } as BackendConfig;
const options = (yes: boolean) => ({ yes, stackDir: "cdktf.out/stacks/sso" });

describe("the backend Terraform was initialized with", () => {
  const files = (text: string | undefined) => (file: string) =>
    file === "cdktf.out/stacks/sso/.terraform/terraform.tfstate" ? text : undefined;

  it.each([
    ['{ "version": 3, "backend": { "type": "s3", "config": {} } }', "s3"],
    ['{ "version": 3, "backend": { "type": "cloud" } }', "cloud"],
    ['{ "version": 3 }', undefined],
    ["not json", undefined],
    [undefined, undefined],
  ])("%s -> %s", (text, type) => {
    expect(recordedBackend("cdktf.out/stacks/sso", files(text))).toBe(type);
  });
});

describe("which terraform init moves the state", () => {
  it("to local or S3 state: -migrate-state, and with --yes -force-copy -input=false", () => {
    expect(migration("local", S3, options(false))).toEqual({
      args: ["init", "-migrate-state"],
      from: "local",
      interactive: true,
    });
    expect(migration("s3", LOCAL, options(true))).toEqual({
      args: ["init", "-migrate-state", "-force-copy", "-input=false"],
      from: "s3",
      interactive: false,
    });
  });

  it("to HCP Terraform: plain init, which asks (Terraform refuses -migrate-state and -force-copy there)", () => {
    expect(migration("s3", CLOUD, options(false))).toEqual({ args: ["init"], from: "s3", interactive: true });
    expect(migration("local", CLOUD, options(true))).toEqual({
      problem: expect.stringMatching(/^migrate-state error: --yes: terraform init asks its own questions/),
    });
  });

  it("refuses what Terraform cannot do: out of HCP Terraform, or from no recorded backend", () => {
    expect(migration("cloud", S3, options(true))).toEqual({
      problem:
        "migrate-state error: backend: Terraform cannot move state out of HCP Terraform to s3 (copy it with terraform state pull and terraform state push, as docs/deploy.md shows)",
    });
    expect(migration(undefined, S3, options(true))).toEqual({
      problem: expect.stringMatching(/^migrate-state error: cdktf\.out\/stacks\/sso: records no previous backend/),
    });
  });
});
