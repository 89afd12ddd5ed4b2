import { validateConfig } from "../../src/config/validate";
import { checkRemoteStateProfile } from "../../src/deploy/remote-state";
import { useFakeAws } from "./fake-aws";

// The profile a state in S3 holds, read with the SDK from a local fake S3, as deploy, diff and destroy read it.
const fake = useFakeAws();

const BACKEND = { type: "s3", bucket: "acme-state", key: "sso/terraform.tfstate", region: "eu-west-3" };
const config = (profile: string) => validateConfig({ profile, name: "sso", backend: BACKEND }).config;
/** A state holding the resources only a production deployment has. */
const productionState = JSON.stringify({
  version: 4,
  resources: [
    { mode: "managed", type: "aws_ssm_parameter", name: "secrets_db_password_parameter", instances: [] },
    { mode: "managed", type: "aws_instance", name: "host_instance", instances: [] },
  ],
});
const store = (body: string) =>
  fake().objects.set("acme-state/sso/terraform.tfstate", { body: Buffer.from(body), lastModified: new Date() });

describe("the profile of a state in S3", () => {
  it("refuses to plan a dev deployment over a production state of the same name, naming both ways out", async () => {
    store(productionState);
    expect(await checkRemoteStateProfile(config("dev"))).toEqual({
      problem:
        'doctor error: profile: s3://acme-state/sso/terraform.tfstate holds a production deployment of "sso", and the dev profile would replace it and its data (give this deployment its own name, or run npm run destroy -- --profile production first if that is what you want)',
    });
  });

  it("accepts the same profile, and a state that does not exist yet", async () => {
    store(productionState);
    expect(await checkRemoteStateProfile(config("production"))).toEqual({
      ok: "state: s3://acme-state/sso/terraform.tfstate, a production deployment",
    });
    fake().objects.clear();
    expect(await checkRemoteStateProfile(config("dev"))).toEqual({
      ok: "state: s3://acme-state/sso/terraform.tfstate does not exist yet (a new deployment)",
    });
  });

  it("says it cannot check a state it may not read, and leaves the refusal to Terraform", async () => {
    fake().s3Error = { status: 403, code: "AccessDenied", message: "Access Denied" };
    expect(await checkRemoteStateProfile(config("dev"))).toEqual({
      ok: "state: s3://acme-state/sso/terraform.tfstate not read (AccessDenied): its profile is not checked",
    });
  });

  it("reads nothing for a local or an HCP Terraform state", async () => {
    expect(await checkRemoteStateProfile(validateConfig({}).config)).toEqual({ ok: "state: not read here" });
    expect(fake().requests).toEqual([]);
  });
});
