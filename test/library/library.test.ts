import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// keycloak-ec2 as another project would use it: a separate package that depends on it, compiled by its own tsc
// with its own strict config, running the README's "Use as a library" example as written. Needs the compiled
// package (dist/, with declarations): `npm test` builds it first.
const REPO = path.resolve(__dirname, "../..");
const README = fs.readFileSync(path.join(REPO, "README.md"), "utf8");

/** The TypeScript example of the README's "Use as a library" section. */
function readmeExample(): string {
  const section = README.slice(README.indexOf("## Use as a library"));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('the README has no ```ts example under "## Use as a library"');
  return match[1]!;
}

let consumer: string;

beforeAll(() => {
  for (const file of ["dist/src/index.js", "dist/src/index.d.ts"]) {
    if (!fs.existsSync(path.join(REPO, file))) throw new Error(`${file} is missing: run npm run build (npm test does)`);
  }
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), "kc-consumer-"));
  const versions = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).dependencies;
  const peers = ["cdktf", "constructs", "@cdktf/provider-aws", "@cdktf/provider-random"];
  fs.writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify({
      name: "identity",
      private: true,
      dependencies: { "keycloak-ec2": `file:${REPO}`, ...Object.fromEntries(peers.map((p) => [p, versions[p]])) },
    }),
  );
  // What `npm install` makes of those dependencies, without the network: keycloak-ec2 linked (file:), its peers
  // deduplicated at the top level, so that both packages share one cdktf.
  for (const [name, target] of [
    ["keycloak-ec2", REPO],
    ...peers.map((p) => [p, path.join(REPO, "node_modules", p)]),
  ] as const) {
    fs.mkdirSync(path.dirname(path.join(consumer, "node_modules", name)), { recursive: true });
    fs.symlinkSync(target, path.join(consumer, "node_modules", name), "dir");
  }
  fs.writeFileSync(
    path.join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "commonjs",
        strict: true,
        skipLibCheck: true,
        types: [],
        outDir: "out",
      },
      files: ["main.ts"],
    }),
  );
  fs.writeFileSync(path.join(consumer, "main.ts"), readmeExample());
}, 60_000);

afterAll(() => fs.rmSync(consumer, { recursive: true, force: true }));

describe("keycloak-ec2 as a library", () => {
  it("compiles the README's example with the consumer's own tsc and synthesizes it", () => {
    // GIVEN the consumer project WHEN its own tsc compiles the example
    const tsc = spawnSync(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", consumer], {
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    // AND node runs it
    const run = spawnSync(process.execPath, ["out/main.js"], {
      cwd: consumer,
      encoding: "utf8",
      env: { PATH: process.env.PATH! },
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // THEN the stack has the server, its rules driven by the consumer's variable, and the output it wired
    const stacks = fs.readdirSync(path.join(consumer, "cdktf.out", "stacks"));
    expect(stacks).toHaveLength(1);
    const tf = JSON.parse(
      fs.readFileSync(path.join(consumer, "cdktf.out", "stacks", stacks[0]!, "cdk.tf.json"), "utf8"),
    );
    expect(Object.keys(tf.resource.aws_instance)).toHaveLength(1);
    const rules = Object.values(tf.resource.aws_vpc_security_group_ingress_rule) as Array<{
      for_each: string;
      from_port: number;
    }>;
    // HTTPS from the variable's CIDRs; HTTP from anywhere, for the ACME CA's challenge.
    expect(Object.fromEntries(rules.map((rule) => [rule.from_port, rule.for_each]))).toEqual({
      443: "${toset(var.allowed_cidrs)}",
      80: '${toset(["0.0.0.0/0", "::/0"])}',
    });
    expect(Object.values(tf.output).map((output) => (output as { value: string }).value)).toContainEqual(
      expect.stringMatching(/^https:\/\/.+\/realms\/app$/),
    );
  }, 60_000);

  it("resolves only through its declared entry point", () => {
    const probe = (specifier: string) =>
      spawnSync(
        process.execPath,
        [
          "-e",
          `try { require.resolve(${JSON.stringify(specifier)}); console.log("ok") } catch (e) { console.log(e.code) }`,
        ],
        { cwd: consumer, encoding: "utf8" },
      ).stdout.trim();
    expect(probe("keycloak-ec2")).toBe("ok");
    expect(probe("keycloak-ec2/dist/src/cli/synth")).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  }, 60_000);

  it("packs its compiled library, declarations and boot files, without the command-line code", () => {
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO, encoding: "utf8" });
    expect(pack.status).toBe(0);
    const files: string[] = JSON.parse(pack.stdout)[0].files.map((file: { path: string }) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "dist/src/index.js",
        "dist/src/index.d.ts",
        "dist/src/boot/files/keycloak-boot.sh",
      ]),
    );
    expect(
      files.filter((file) => file.startsWith("dist/src/cli/") || file.startsWith("src/") || file.startsWith("test/")),
    ).toEqual([]);
  }, 60_000);
});
