import { checkRegion } from "../../../src/deploy/preflight/region";
import { config, ok } from "./machine";

describe("region", () => {
  it("is the config's, and says when the environment's region or the state bucket's differs", () => {
    expect(ok(checkRegion(config(), {}))).toBe("region: us-east-1");
    expect(ok(checkRegion(config(), { AWS_REGION: "us-east-1" }))).toBe("region: us-east-1");
    expect(
      ok(
        checkRegion(
          config({
            region: "eu-west-3",
            backend: { type: "s3", bucket: "acme-state", key: "k", region: "eu-central-1" },
          }),
          { AWS_DEFAULT_REGION: "us-west-2" },
        ),
      ),
    ).toBe(
      "region: eu-west-3 (AWS_DEFAULT_REGION=us-west-2 does not apply: the config's region does; the state bucket is in eu-central-1)",
    );
  });
});
