// ESLint enforces what the compiler cannot: the import layering of src/ (arrows point the only allowed way)
//
//   cli (and main.ts) -> deploy -> stacks -> constructs -> boot / config / hcl
//   errors.ts, defaults.ts, text/, aws/: shared bottom modules, anyone may import them, they import none of the layers
//   index.ts: the package's public entry, anything but cli and deploy
//
// and the deep imports of the provider packages. Formatting is Prettier's job (.prettierrc.json): no stylistic
// rule is enabled here. test/lint/layers.test.ts proves each restriction bites.
//
// CommonJS (as the package is), so that the test can load it with require: jest cannot import() an ES module.
const { defineConfig, globalIgnores } = require("eslint/config");
const tseslint = require("typescript-eslint");
const { createNodeResolver, importX } = require("eslint-plugin-import-x");

// Paths are relative to this file's folder (not to the directory eslint is started from).
const root = __dirname;

const CLI = ["src/cli"];
const DEPLOY = ["src/deploy"];
// src/stack.ts is the stack layer until it moves into src/stacks.
const STACKS = ["src/stacks", "src/article", "src/stack.ts"];
const CONSTRUCTS = ["src/constructs"];
const BOOT = ["src/boot"];
const CONFIG = ["src/config"];
const HCL = ["src/hcl"];
const BOTTOM = ["src/errors.ts", "src/defaults.ts", "src/text", "src/aws"];

/** One zone per layer: files in `target` may not import anything under `from`. */
const zones = [
  {
    target: DEPLOY,
    from: [...CLI],
    message: "src/deploy may not import src/cli: the CLI calls deploy, never the reverse (pass flags in as values).",
  },
  {
    target: STACKS,
    from: [...CLI, ...DEPLOY],
    message: "The stack layer may not import src/cli or src/deploy: a stack composes constructs, the CLI drives it.",
  },
  {
    target: CONSTRUCTS,
    from: [...CLI, ...DEPLOY, ...STACKS, ...CONFIG],
    message:
      "src/constructs may not import src/cli, src/deploy, the stacks or src/config: a construct takes typed props, the stack maps the config onto them.",
  },
  {
    target: BOOT,
    from: [...CLI, ...DEPLOY, ...STACKS, ...CONSTRUCTS, ...HCL, ...CONFIG],
    message:
      "src/boot may not import cli, deploy, stacks, constructs, hcl or config: boot text is a pure function of its own typed input.",
  },
  {
    target: CONFIG,
    from: [...CLI, ...DEPLOY, ...STACKS, ...CONSTRUCTS, ...BOOT, ...HCL],
    message:
      "src/config may not import cli, deploy, stacks, constructs, boot or hcl: the layers above read the config, it knows none of them.",
  },
  {
    target: HCL,
    from: [...CLI, ...DEPLOY, ...STACKS, ...CONSTRUCTS, ...BOOT, ...CONFIG],
    message:
      "src/hcl may not import cli, deploy, stacks, constructs, boot or config: the exporter turns any synthesized JSON into HCL.",
  },
  {
    target: BOTTOM,
    from: [...CLI, ...DEPLOY, ...STACKS, ...CONSTRUCTS, ...BOOT, ...CONFIG, ...HCL],
    message:
      "src/errors.ts, src/defaults.ts, src/text and src/aws are shared bottom modules: they may import only each other, no layer above them.",
  },
  {
    target: ["src/index.ts"],
    from: [...CLI, ...DEPLOY],
    message: "src/index.ts is the library's public entry: it may not pull in the CLI or the deploy wrappers.",
  },
];

const PROVIDER_ROOT = {
  regex: "^@cdktf/provider-(aws|random)(/lib(/index(\\.js)?)?)?/?$",
  message:
    "Import the resource by its deep path (@cdktf/provider-aws/lib/instance): the package root loads every resource (~2 s, 500 MiB).",
};

module.exports = defineConfig(
  globalIgnores(["dist/", "cdktf.out/", "cdktf.out.*/", ".gen/", "coverage/", "test/hcl/golden/"]),
  {
    // Parses TypeScript; the recommended rules pass on the code as it is (scripts/*.js are CommonJS: not them).
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommended],
    rules: {
      // tsc's noUnusedLocals and noUnusedParameters check this (npm run typecheck), with TypeScript's conventions
      // (`const { omitted: _, ...rest } = o`, `_param`): one judge, not two that disagree.
      "@typescript-eslint/no-unused-vars": "off",
    },
  },
  {
    // Tests read synthesized Terraform JSON back and index into it freely.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    files: ["**/*.{ts,js,mjs,cjs}"],
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "import-x": importX, "@typescript-eslint": tseslint.plugin },
    settings: {
      // Resolves imports to real files (a `../cli/args` written in src/config lands in src/cli, whatever the
      // relative spelling); an import it cannot resolve is not checked by no-restricted-paths.
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".js", ".json"] })],
    },
    rules: {
      "import-x/no-restricted-paths": ["error", { basePath: root, zones }],
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [PROVIDER_ROOT] }],
    },
  },
);
