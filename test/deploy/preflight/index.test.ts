import { preflight } from "../../../src/deploy/preflight";
import { config, TERRAFORM, useFakeHome } from "./machine";

const { write, machine } = useFakeHome();

describe("preflight", () => {
  it("reports every problem at once, and a summary when there is none", () => {
    expect(preflight(config(), machine()).problems).toEqual([
      expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH/),
      expect.stringMatching(/^doctor error: AWS credentials: none found/),
    ]);
    const report = preflight(config(), machine({ onPath: TERRAFORM, env: { AWS_PROFILE: "ops" }, system: {} }));
    expect(report.problems).toHaveLength(1);
    write({ ".aws/credentials": "[ops]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n" });
    expect(preflight(config(), machine({ onPath: TERRAFORM, env: { AWS_PROFILE: "ops" } }))).toEqual({
      problems: [],
      summary: [
        "terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.5.0)",
        'AWS credentials: profile "ops", access keys',
        "region: us-east-1",
        "backend: local state file terraform.keycloak-ec2.tfstate in the project directory",
        "SSH: closed (log in with Session Manager)",
      ],
    });
  });
});
