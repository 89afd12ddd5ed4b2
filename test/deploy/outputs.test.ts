import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatOutputs, keycloakUrlFrom, outputsFilePath, readOutputs } from "../../src/deploy/outputs";
import { problemsOf } from "../problems";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-outputs-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("outputs", () => {
  const write = (text: string) => {
    fs.writeFileSync(path.join(dir, "o.json"), text);
    return path.join(dir, "o.json");
  };

  it("are kept beside the project, outside cdktf.out", () => {
    expect(outputsFilePath("/project", "sso")).toBe("/project/sso.outputs.json");
  });

  it("reads the stack's outputs from cdktf's outputs file", () => {
    const file = write(
      '{ "keycloak-ec2": { "instance_ip": "203.0.113.7", "keycloak_url": "https://ec2.example:8443" } }',
    );
    expect(readOutputs(file, "keycloak-ec2")).toEqual({
      instance_ip: "203.0.113.7",
      keycloak_url: "https://ec2.example:8443",
    });
    expect(keycloakUrlFrom(readOutputs(file, "keycloak-ec2"), file)).toBe("https://ec2.example:8443");
  });

  it("says what to run when the file or the output is missing", () => {
    const missing = path.join(dir, "none.json");
    expect(problemsOf(() => readOutputs(missing, "keycloak-ec2"))).toEqual([
      `output error: ${missing}: not found (run npm run deploy, or npm run output to fetch the outputs from the Terraform state)`,
    ]);
    const file = write('{ "other": {} }');
    expect(problemsOf(() => readOutputs(file, "keycloak-ec2"))).toEqual([
      `output error: ${file}: no outputs for stack "keycloak-ec2" (run npm run output to fetch them from the Terraform state)`,
    ]);
    expect(problemsOf(() => keycloakUrlFrom({ instance_ip: "203.0.113.7" }, file))).toEqual([
      `output error: keycloak_url: not in ${file} (run npm run output to refresh the file from the Terraform state, or pass --url)`,
    ]);
  });

  it("prints them in the order a person uses them, aligned", () => {
    expect(
      formatOutputs({
        zeta: ["a"],
        ssh_command: "ssh ec2-user@203.0.113.7",
        realm_issuer_url: "https://h:8443/realms/app",
        keycloak_url: "https://h:8443",
        instance_ip: "203.0.113.7",
        admin_password_parameter: "/keycloak-ec2/keycloak/admin-password",
      }),
    ).toEqual([
      "instance_ip               203.0.113.7",
      "keycloak_url              https://h:8443",
      "realm_issuer_url          https://h:8443/realms/app",
      "admin_password_parameter  /keycloak-ec2/keycloak/admin-password",
      "ssh_command               ssh ec2-user@203.0.113.7",
      'zeta                      ["a"]',
    ]);
  });
});
