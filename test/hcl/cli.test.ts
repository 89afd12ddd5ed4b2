import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "@cdktf/hcl2json";
import { hclCommand } from "../../src/cli/hcl";
import { UserError } from "../../src/errors";

// The compiled command, as `npm run hcl` runs it (`npm test` builds it first), for exit codes and output streams;
// the other cases call the same command in-process, which is much faster than a node process each.
const ROOT = path.resolve(__dirname, "../..");
const HCL = path.join(ROOT, "dist/src/cli/hcl.js");
const GOLDEN = "test/hcl/golden/article";
const ARTICLE_CONFIG = "test/hcl/golden/article.config.json";

let scratch: string;
beforeAll(() => {
  if (!fs.existsSync(HCL)) throw new Error(`${HCL} is missing: run npm run build (npm test does)`);
});
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kc-hcl-"));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

function spawnHcl(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [HCL, ...args], { cwd, encoding: "utf8", env: { PATH: process.env.PATH! } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The command in-process, with what runCommand would print and exit with. */
async function hcl(args: string[], cwd = ROOT) {
  const warnings: string[] = [];
  const lines = (list: string[]) => list.map((line) => `${line}\n`).join("");
  try {
    const stdout = await hclCommand(args, cwd, {}, (line) => warnings.push(line));
    return { code: 0, stdout: `${stdout}\n`, stderr: lines(warnings) };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { code: error.exitCode, stdout: "", stderr: lines([...warnings, ...error.problems]) };
  }
}

const readHcl = async (dir: string) => {
  const read = async (file: string) => parse(file, fs.readFileSync(path.join(dir, file), "utf8"));
  return { main: await read("main.tf"), providers: await read("providers.tf"), variables: await read("variables.tf") };
};

describe("npm run hcl: the article profile's golden files", () => {
  it("are exactly what the export writes today (the whole text is the contract)", async () => {
    const { code, stdout, stderr } = spawnHcl(["--config", ARTICLE_CONFIG, "--out", GOLDEN, "--check"]);
    expect(stderr).toBe("");
    expect(stdout).toBe(`hcl check: ${GOLDEN} is up to date\n`);
    expect(code).toBe(0);
  });

  it("read back, resource for resource, as the guide's main.tf, providers.tf and variables.tf", async () => {
    const { main, providers, variables } = await readHcl(path.join(ROOT, GOLDEN));
    const world = { cidr_blocks: ["0.0.0.0/0"], ipv6_cidr_blocks: ["::/0"], prefix_list_ids: null, security_groups: null, self: null };
    expect(main.resource).toEqual({
      aws_default_vpc: { default: [{ tags: { Name: "Default VPC" } }] },
      aws_security_group: {
        sg: [{
          name: "${var.security_group_name}",
          description: "Allow inbound traffic on port 8080 and 8443",
          vpc_id: "${aws_default_vpc.default.id}",
          ingress: [
            { ...world, description: "open ssh port", from_port: 22, to_port: 22, protocol: "tcp" },
            { ...world, description: "open port 8080", from_port: 8080, to_port: 8080, protocol: "tcp" },
            { ...world, description: "open port 8443", from_port: 8443, to_port: 8443, protocol: "tcp" },
          ],
          egress: [{ ...world, description: null, from_port: 0, to_port: 0, protocol: "-1" }],
          tags: { Name: "${var.security_group_name}" },
        }],
      },
      aws_instance: {
        ec2: [{
          ami: "ami-01cae1550c0adea9c",
          instance_type: "t2.micro",
          key_name: "${var.keyname}",
          vpc_security_group_ids: ["${aws_security_group.sg.id}"],
          user_data: "#!/bin/bash\nsudo yum update -y\nsudo amazon-linux-extras install docker\nsudo service docker start\nsudo amazon-linux-extras enable postgresql13\nsudo yum install postgresql postgresql-server -y\nsudo postgresql-setup initdb\nsudo systemctl start postgresql\nsudo systemctl enable postgresql\n",
          tags: { Name: "${var.aws_instance_name}" },
        }],
      },
    });
    expect(main.output).toEqual({
      instance_ip: [{ value: "${aws_instance.ec2.public_ip}", description: "Public IP address" }],
      instance_dns: [{ value: "${aws_instance.ec2.public_dns}", description: "Public DNS" }],
    });
    expect(main.terraform[0].required_version).toBe(">= 1.2.8");
    expect(providers.provider).toEqual({ aws: [{ region: "us-east-1" }] });
    expect(Object.keys(variables.variable).sort()).toEqual(["aws_instance_name", "keyname", "security_group_name"]);
    for (const variable of Object.values(variables.variable) as Array<Array<{ type: string }>>) expect(variable[0].type).toBe("${string}");
  });
});

describe("npm run hcl: writing and checking", () => {
  it("writes main.tf, providers.tf and variables.tf, with the state path relative to the output directory", async () => {
    const { code, stdout } = await hcl(["--config", path.join(ROOT, ARTICLE_CONFIG), "--out", "ops"], scratch);
    expect(code).toBe(0);
    expect(stdout).toBe("wrote ops/main.tf, ops/providers.tf, ops/variables.tf\n");
    const { main } = await readHcl(path.join(scratch, "ops"));
    // cdktf runs Terraform in cdktf.out/stacks/<name>; from ops/ the same state file is one level up.
    expect(main.terraform[0].backend).toEqual({ local: [{ path: "../terraform.keycloak-ec2.tfstate" }] });
    expect(fs.readFileSync(path.join(scratch, "ops/main.tf"), "utf8")).not.toContain(scratch);
    expect(fs.existsSync(path.join(scratch, "cdktf.out"))).toBe(false);
  });

  it("--check names every file that differs or is missing, exits 1 and writes nothing", async () => {
    fs.cpSync(path.join(ROOT, GOLDEN), path.join(scratch, "ops"), { recursive: true });
    fs.appendFileSync(path.join(scratch, "ops/main.tf"), "# edited by hand\n");
    fs.rmSync(path.join(scratch, "ops/variables.tf"));
    const before = fs.readFileSync(path.join(scratch, "ops/main.tf"), "utf8");
    const { code, stderr } = await hcl(["--config", path.join(ROOT, ARTICLE_CONFIG), "--out", "ops", "--check"], scratch);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split("\n")).toEqual([
      "hcl check: ops/main.tf differs from the export (run npm run hcl -- --out ops and commit the result)",
      "hcl check: ops/variables.tf is missing from the export (run npm run hcl -- --out ops and commit the result)",
    ]);
    expect(fs.readFileSync(path.join(scratch, "ops/main.tf"), "utf8")).toBe(before);
    expect(fs.existsSync(path.join(scratch, "ops/variables.tf"))).toBe(false);
  });

  it("exports any Terraform JSON file with --from, rebasing its relative state path", async () => {
    const stackDir = path.join(scratch, "cdktf.out/stacks/other");
    fs.mkdirSync(stackDir, { recursive: true });
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify({
      "//": { metadata: {} },
      terraform: { backend: { local: { path: "../../../other.tfstate" } } },
      variable: { env: { type: "string", nullable: false } },
      resource: { null_resource: { x: { triggers: { a: "${var.env}" } } } },
    }));
    expect((await hcl(["--from", "cdktf.out/stacks/other/cdk.tf.json", "--out", "hcl"], scratch)).code).toBe(0);
    const { main, variables, providers } = await readHcl(path.join(scratch, "hcl"));
    expect(main.terraform[0].backend).toEqual({ local: [{ path: "../other.tfstate" }] });
    expect(variables.variable.env).toEqual([{ type: "${string}", nullable: false }]);
    expect(providers).toEqual({});
  });

  it("keeps secrets out of the production export: a generated value reaches only its SSM parameter", async () => {
    expect((await hcl(["--out", path.join(scratch, "prod")], scratch)).code).toBe(0);
    const main = fs.readFileSync(path.join(scratch, "prod/main.tf"), "utf8");
    const uses = [...main.matchAll(/^\s*(\w+)\s*=.*random_password\.\w+\.result/gm)].map((m) => m[1]);
    expect(uses).toEqual(["value", "value", "value", "value"]);
    expect(main).toContain("user_data_base64       = base64gzip(local.bootstrap_cloud_config)");
    expect(main).not.toMatch(/password\s?[:=]\s?"?[^\s?$\{].+/im);
  });
});

describe("npm run hcl: mistakes", () => {
  it.each([
    [["--profile", "article"], "flag error: --out: is required (npm run hcl -- [--profile P] [--config F] [--region R] --out DIR [--check], or --from FILE.tf.json --out DIR [--check])"],
    [["--from", "x.json", "--profile", "dev", "--out", "o"], "flag error: --from: exports the given file, so --profile cannot apply (give one or the other)"],
    [["--from", "missing.json", "--out", "o"], "hcl error: --from: MISSING: file not found (give a Terraform JSON file, e.g. cdktf.out/stacks/<stack>/cdk.tf.json)"],
    [["--profile", "prod", "--out", "o"], 'config error: --profile: "prod" is not one of article, dev, production (did you mean "production"?)'],
  ])("%j: one line, exit 2, nothing written", async (args, expected) => {
    const { code, stderr } = await hcl(args, scratch);
    expect(stderr).toBe(`${expected.replace("MISSING", path.join(scratch, "missing.json"))}\n`);
    expect(code).toBe(2);
    expect(fs.readdirSync(scratch)).toEqual([]);
  });

  it("reports an output directory it cannot write, removing what it began", async () => {
    fs.writeFileSync(path.join(scratch, "taken"), "a file");
    const { code, stderr } = await hcl(["--config", path.join(ROOT, ARTICLE_CONFIG), "--out", "taken/hcl"], scratch);
    expect(stderr).toBe("hcl error: --out: cannot write taken/hcl (ENOTDIR) (give a directory you can write, or a new one)\n");
    expect(code).toBe(2);
    expect(fs.readdirSync(scratch)).toEqual(["taken"]);
  });

  it("exits 2 with the one line and no stack trace when run as a command", () => {
    const { code, stdout, stderr } = spawnHcl(["--from", "missing.json", "--out", "o"], scratch);
    expect(stdout).toBe("");
    expect(stderr).toBe(`hcl error: --from: ${path.join(scratch, "missing.json")}: file not found (give a Terraform JSON file, e.g. cdktf.out/stacks/<stack>/cdk.tf.json)\n`);
    expect(code).toBe(2);
  });

  it("reports a --from file that is not JSON", async () => {
    fs.writeFileSync(path.join(scratch, "bad.json"), "{ nope");
    const { code, stderr } = await hcl(["--from", "bad.json", "--out", "o"], scratch);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^hcl error: --from: .*bad\.json: not valid JSON: .* \(give a Terraform JSON file\)\n$/);
  });

  it("reports a value HCL cannot hold, naming where it is", async () => {
    fs.writeFileSync(path.join(scratch, "odd.json"), JSON.stringify({ resource: { null_resource: { x: { "bad name": 1 } } } }));
    const { code, stderr } = await hcl(["--from", "odd.json", "--out", "o"], scratch);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^hcl error: cannot write resource\.null_resource\.x\.bad name as HCL: /);
    expect(fs.existsSync(path.join(scratch, "o"))).toBe(false);
  });
});
