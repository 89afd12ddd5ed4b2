import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ESLint } from "eslint";

// The repository's eslint.config.js, run on a fixture tree: no-restricted-paths resolves each import to a real
// file and skips one it cannot resolve, so every module the cases import exists here as an empty file, whatever
// the real src/ holds today. The config's zones are relative to its own folder, so a copy of it lints the fixture.
// The test requires the copy and hands it to ESLint (which would import() it, and jest cannot import() a file).
const REPO = path.resolve(__dirname, "../..");
const CONFIG = "eslint.config.js";
const MODULES = [
  "main.ts",
  "src/index.ts",
  "src/cli/args.ts",
  "src/deploy/x.ts",
  "src/stacks/keycloak.ts",
  "src/stack.ts",
  "src/article/stack.ts",
  "src/constructs/host.ts",
  "src/boot/unit.ts",
  "src/config/load.ts",
  "src/hcl/export.ts",
  "src/errors.ts",
  "src/text/nearest.ts",
  "src/aws/cidr.ts",
];

let dir: string;
let eslint: ESLint;
beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "kc-lint-")));
  fs.copyFileSync(path.join(REPO, CONFIG), path.join(dir, CONFIG));
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  for (const file of MODULES) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), "export const x = 1;\n");
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(dir, CONFIG));
  eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: config });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The problems ESLint reports for `code` written in `file` (a path relative to the fixture root), as "rule: message". */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(dir, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

/** Checks that the relative module `code` imports exists in the fixture (an unresolved import passes vacuously). */
function importedModule(file: string, code: string): void {
  const specifier = /["'](\.[^"']*)["']/.exec(code)![1];
  expect(MODULES).toContain(path.relative(dir, path.resolve(dir, path.dirname(file), specifier)) + ".ts");
}

const LAYER = "import-x/no-restricted-paths: Unexpected path";
const PROVIDER_ROOT = "@typescript-eslint/no-restricted-imports";
const BOTTOM = "src/errors.ts, src/defaults.ts, src/text and src/aws are shared bottom modules";

describe("the import layering", () => {
  it.each([
    ["src/config/probe.ts", 'import { x } from "../cli/args";', "src/config may not import cli, deploy"],
    ["src/config/nested/probe.ts", 'import { x } from "../../cli/args";', "src/config may not import cli, deploy"],
    ["src/config/probe.ts", 'import { x } from "../boot/unit";', "src/config may not import cli, deploy"],
    [
      "src/constructs/probe.ts",
      'import { x } from "../deploy/x";',
      "src/constructs may not import src/cli, src/deploy",
    ],
    [
      "src/constructs/probe.ts",
      'import { x } from "../config/load";',
      "src/constructs may not import src/cli, src/deploy",
    ],
    ["src/constructs/probe.ts", 'import { x } from "../stacks/keycloak";', "src/constructs may not import src/cli"],
    ["src/boot/probe.ts", 'import { x } from "../constructs/host";', "src/boot may not import cli, deploy"],
    ["src/boot/probe.ts", 'import type { x } from "../config/load";', "src/boot may not import cli, deploy"],
    ["src/hcl/probe.ts", 'import { x } from "../config/load";', "src/hcl may not import cli, deploy"],
    ["src/deploy/probe.ts", 'export { x } from "../cli/args";', "src/deploy may not import src/cli"],
    ["src/stacks/probe.ts", 'import { x } from "../deploy/x";', "The stack layer may not import src/cli or src/deploy"],
    ["src/article/probe.ts", 'const x = import("../cli/args");', "The stack layer may not import src/cli"],
    ["src/stack.ts", 'import { x } from "./cli/args";', "The stack layer may not import src/cli"],
    ["src/constructs/probe.ts", 'import { x } from "../stack";', "src/constructs may not import src/cli"],
    ["src/errors.ts", 'import { x } from "./config/load";', BOTTOM],
    ["src/text/probe.ts", 'import { x } from "../boot/unit";', BOTTOM],
    ["src/aws/probe.ts", 'import { x } from "../hcl/export";', BOTTOM],
    ["src/index.ts", 'import { x } from "./deploy/x";', "src/index.ts is the library's public entry"],
  ])("%s may not: %s", async (file, code, message) => {
    importedModule(file, code);
    const specifier = /["'](.*)["']/.exec(code)![1];
    expect(await problems(file, `${code}\nexport const z = x;\n`)).toEqual([
      expect.stringContaining(`${LAYER} "${specifier}" imported in restricted zone. ${message}`),
    ]);
  });

  it.each([
    ["main.ts", 'import { x } from "./src/cli/args";\nimport { x as y } from "./src/deploy/x";'],
    ["src/cli/probe.ts", 'import { x } from "../config/load";\nimport { x as y } from "../deploy/x";'],
    ["src/deploy/probe.ts", 'import { x } from "../stacks/keycloak";\nimport { x as y } from "../config/load";'],
    ["src/stacks/probe.ts", 'import { x } from "../constructs/host";\nimport { x as y } from "../config/load";'],
    ["src/constructs/probe.ts", 'import { x } from "../boot/unit";\nimport { x as y } from "../hcl/export";'],
    ["src/constructs/probe.ts", 'import { x } from "../aws/cidr";\nimport { x as y } from "../text/nearest";'],
    ["src/config/probe.ts", 'import { x } from "../errors";\nimport { x as y } from "../aws/cidr";'],
    ["src/boot/probe.ts", 'import { x } from "../text/nearest";\nimport { x as y } from "../errors";'],
    ["src/aws/probe.ts", 'import { x } from "../errors";\nimport { x as y } from "../text/nearest";'],
    ["src/index.ts", 'import { x } from "./stacks/keycloak";\nimport { x as y } from "./constructs/host";'],
  ])("%s may: %s", async (file, code) => {
    for (const line of code.split("\n")) importedModule(file, line);
    expect(await problems(file, `${code}\nexport const z = [x, y];\n`)).toEqual([]);
  });
});

describe("the provider packages", () => {
  it.each([
    'import { Instance as x } from "@cdktf/provider-aws";',
    'import * as x from "@cdktf/provider-aws";',
    'import { Instance as x } from "@cdktf/provider-aws/lib";',
    'import { Password as x } from "@cdktf/provider-random";',
    'export { Instance as x } from "@cdktf/provider-aws/lib/index";',
  ])("reports the root import in %s", async (code) => {
    expect(await problems("src/constructs/probe.ts", `${code}\nexport const z = x;\n`)).toEqual([
      expect.stringMatching(new RegExp(`^${PROVIDER_ROOT}: .*Import the resource by its deep path`)),
    ]);
  });

  it("allows the deep paths, in any file", async () => {
    const code = 'import { Instance } from "@cdktf/provider-aws/lib/instance";\nexport const z = Instance;\n';
    expect(await problems("src/constructs/probe.ts", code)).toEqual([]);
    expect(await problems("test/stack/probe.test.ts", code)).toEqual([]);
  });
});
