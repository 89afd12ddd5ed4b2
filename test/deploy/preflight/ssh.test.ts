import { checkSsh } from "../../../src/deploy/preflight/ssh";
import { config, ok, problem } from "./machine";

describe("SSH", () => {
  it("is closed by default (Session Manager)", () => {
    expect(ok(checkSsh(config()))).toBe("SSH: closed (log in with Session Manager)");
  });

  it("needs a key pair when sshCidrs opens port 22", () => {
    expect(problem(checkSsh(config({ sshCidrs: ["203.0.113.7/32"] })))).toBe(
      "doctor error: keyName: sshCidrs opens port 22 but no key pair is named (set keyName to an existing EC2 key pair in us-east-1, or set sshCidrs to [] and use Session Manager)",
    );
    expect(problem(checkSsh(config({ profile: "article", region: "eu-west-1" })))).toBe(
      "doctor error: keyName: sshCidrs opens port 22 but no key pair is named (set keyName to an existing EC2 key pair in eu-west-1: it is the guide's keyname variable)",
    );
    expect(ok(checkSsh(config({ sshCidrs: ["203.0.113.7/32"], keyName: "ops" })))).toBe(
      'SSH: key pair "ops" (must exist in us-east-1) from 203.0.113.7/32',
    );
  });
});
