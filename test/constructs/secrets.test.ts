import "../cdktf-matchers";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Secrets } from "../../src/constructs/secrets";

/** A fresh stack with the AWS and random providers, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  new RandomProvider(stack, "random");
  return stack;
}

const NAMES = ["admin-password", "db-password"];
const resources = (tf: Record<string, any>, type: string): Record<string, any> => tf.resource[type] ?? {};

describe("Secrets validation", () => {
  it.each(["keycloak", "/keycloak/", "/key cloak", "/"])("rejects the parameter prefix %p", (parameterPrefix) => {
    // GIVEN / WHEN / THEN
    expect(() => new Secrets(newStack(), "secrets", { parameterPrefix, names: NAMES })).toThrow(
      /Secrets: 'parameterPrefix' must be an SSM path/,
    );
  });

  it.each([8, 15, 20.5])("rejects a length of %p", (length) => {
    // GIVEN / WHEN / THEN
    expect(() => new Secrets(newStack(), "secrets", { parameterPrefix: "/app", names: NAMES, length })).toThrow(
      /Secrets: 'length' must be at least 16/,
    );
  });

  it("rejects a name given twice", () => {
    // GIVEN / WHEN / THEN
    expect(
      () => new Secrets(newStack(), "secrets", { parameterPrefix: "/app", names: [...NAMES, "db-password"] }),
    ).toThrow(/Secrets: 'names' has "db-password" twice/);
  });

  it.each([["a-b", "a_b"], ["Admin"], [""]])(
    "rejects the names %p, which are no SSM path segment or collide",
    (...names) => {
      // GIVEN / WHEN / THEN
      expect(() => new Secrets(newStack(), "secrets", { parameterPrefix: "/app", names })).toThrow(
        /Secrets: 'names' has "/,
      );
    },
  );

  it("refuses the parameter of a name it does not have", () => {
    // GIVEN
    const secrets = new Secrets(newStack(), "secrets", { parameterPrefix: "/app", names: NAMES });
    // WHEN / THEN
    expect(() => secrets.parameter("api-key")).toThrow(/Secrets: 'names' has no secret "api-key"/);
  });
});

describe("Secrets", () => {
  it("generates one alphanumeric random_password of 32 characters per name", () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new Secrets(stack, "secrets", { parameterPrefix: "/app/keycloak", names: NAMES });
    // THEN
    const passwords = Object.values(resources(JSON.parse(Testing.synth(stack)), "random_password"));
    expect(passwords).toEqual(NAMES.map(() => expect.objectContaining({ length: 32, special: false })));
  });

  it("stores each value in a SecureString parameter under the prefix, and nowhere else", () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new Secrets(stack, "secrets", { parameterPrefix: "/app/keycloak", names: NAMES });
    // THEN
    const tf = JSON.parse(Testing.synth(stack));
    const parameters = Object.values(resources(tf, "aws_ssm_parameter"));
    expect(parameters.map((p) => [p.name, p.type])).toEqual([
      ["/app/keycloak/admin-password", "SecureString"],
      ["/app/keycloak/db-password", "SecureString"],
    ]);
    const passwordIds = Object.keys(resources(tf, "random_password"));
    expect(parameters.map((p) => p.value)).toEqual(passwordIds.map((id) => `\${random_password.${id}.result}`));
    expect(JSON.stringify(tf).match(/random_password\.[^.]+\.result/g)).toHaveLength(NAMES.length);
  });

  it("accepts a parameter prefix and a length given as variables", () => {
    // GIVEN
    const stack = newStack();
    const prefix = new TerraformVariable(stack, "parameter_prefix", { type: "string" });
    const length = new TerraformVariable(stack, "secret_length", { type: "number" });
    // WHEN
    new Secrets(stack, "secrets", {
      parameterPrefix: prefix.stringValue,
      names: ["admin-password"],
      length: length.numberValue,
    });
    // THEN
    const json = Testing.synth(stack);
    expect(json).toHaveResourceWithProperties(SsmParameter, { name: "${var.parameter_prefix}/admin-password" });
    expect(Object.values(resources(JSON.parse(json), "random_password"))[0].length).toBe("${var.secret_length}");
  });

  it("grants a reader each parameter's arn", () => {
    // GIVEN
    const stack = newStack();
    const secrets = new Secrets(stack, "secrets", { parameterPrefix: "/app/keycloak", names: NAMES });
    const granted: string[] = [];
    // WHEN
    secrets.grantRead({ grantParameterRead: (arns) => granted.push(...arns) });
    // THEN
    new TerraformOutput(stack, "granted", { value: granted });
    const tf = JSON.parse(Testing.synth(stack));
    expect(tf.output.granted.value).toEqual(
      Object.keys(resources(tf, "aws_ssm_parameter")).map((id) => `\${aws_ssm_parameter.${id}.arn}`),
    );
  });

  it("returns the parameter of a name", () => {
    // GIVEN
    const stack = newStack();
    const secrets = new Secrets(stack, "secrets", { parameterPrefix: "/app/keycloak", names: NAMES });
    // WHEN
    new TerraformOutput(stack, "db_password_arn", { value: secrets.parameter("db-password").arn });
    // THEN
    const tf = JSON.parse(Testing.synth(stack));
    const [id] = Object.entries(resources(tf, "aws_ssm_parameter")).find(
      ([, p]) => p.name === "/app/keycloak/db-password",
    )!;
    expect(tf.output.db_password_arn.value).toBe(`\${aws_ssm_parameter.${id}.arn}`);
  });
});
