import { checkStateProfile, profileInState } from "../../../src/deploy/preflight/state-profile";
import { config, ok, problem, useFakeHome } from "./machine";

/** A state as Terraform writes it, holding managed resources of these `type.name` addresses. */
const state = (...addresses: string[]) =>
  JSON.stringify({
    version: 4,
    resources: addresses.map((address) => {
      const [type, name] = address.split(".");
      return { mode: "managed", type, name, instances: [{}] };
    }),
  });

const PRODUCTION = state("aws_instance.host_instance", "aws_ssm_parameter.secrets_db_password_parameter");
const DEV = state("aws_instance.host_instance", "aws_ssm_parameter.secrets_admin_password_parameter");
const ARTICLE = state("aws_default_vpc.default", "aws_instance.ec2");
const CLUSTER = state("aws_autoscaling_group.hosts_group", "aws_ssm_parameter.secrets_db_password_parameter");

describe("the profile a state holds", () => {
  it.each([
    [PRODUCTION, "production"],
    [DEV, "dev"],
    [ARTICLE, "article"],
    [CLUSTER, "cluster"],
    // A first apply that failed early: the cluster's security groups come first.
    [state("aws_security_group.network_lb", "aws_ssm_parameter.secrets_db_password_parameter"), "cluster"],
    // Only the secrets several profiles generate: nothing tells, nothing is refused.
    [state("aws_ssm_parameter.secrets_db_password_parameter", "random_password.secrets_db_password"), undefined],
    [state(), undefined],
    ["{}", undefined],
  ])("%s -> %p", (text, profile) => expect(profileInState(JSON.parse(text))).toBe(profile));
});

describe("a profile switch on an existing local state", () => {
  const home = useFakeHome();
  const inputs = () => ({ ...home.machine(), projectDir: home.home() });

  it("refuses dev over a production state of the same name, saying what it would destroy and what to do", () => {
    // GIVEN a production deployment's state
    home.write({ "terraform.sso.tfstate": PRODUCTION });
    // WHEN the dev profile is checked under the same name THEN it is refused
    expect(problem(checkStateProfile(config({ profile: "dev", name: "sso" }), inputs()))).toBe(
      'doctor error: profile: terraform.sso.tfstate holds a production deployment of "sso", and the dev profile would replace it and its data (give this deployment its own name, or run npm run destroy -- --profile production first if that is what you want)',
    );
  });

  it("lets the same profile through, and a state file given by backend.path", () => {
    home.write({ "state/sso.tfstate": ARTICLE });
    const article = config({ profile: "article", name: "sso", backend: { type: "local", path: "state/sso.tfstate" } });
    expect(ok(checkStateProfile(article, inputs()))).toBe("state: state/sso.tfstate, a article deployment");
    expect(problem(checkStateProfile({ ...article, profile: "production" } as never, inputs()))).toMatch(
      /holds a article/,
    );
  });

  it("says a missing state is a new deployment, and leaves remote states unread", () => {
    expect(ok(checkStateProfile(config({ name: "sso" }), inputs()))).toBe(
      "state: terraform.sso.tfstate does not exist yet (a new deployment)",
    );
    const s3 = config({ backend: { type: "s3", bucket: "my-state", key: "k", region: "eu-west-3" } });
    expect(ok(checkStateProfile(s3, inputs()))).toBe("state: not read here (remote backend)");
  });

  it("refuses a state file that is not JSON", () => {
    home.write({ "terraform.sso.tfstate": "{ broken" });
    expect(problem(checkStateProfile(config({ name: "sso" }), inputs()))).toMatch(
      /^doctor error: state: terraform\.sso\.tfstate is not JSON/,
    );
  });
});
