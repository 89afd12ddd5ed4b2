import { parseIni } from "../../../src/deploy/preflight/aws-shared-config";

describe("the AWS shared config files", () => {
  it("skips sub-settings and comments in the shared files", () => {
    expect(
      parseIni(
        "; c\n[default]\ns3 =\n  max_concurrent_requests = 20\nregion=eu-west-3\n[profile  x ]\n# c\nKey = v = w\n",
      ),
    ).toEqual(
      new Map([
        ["default", { s3: "", region: "eu-west-3" }],
        ["profile x", { key: "v = w" }],
      ]),
    );
  });
});
