// Tests run the TypeScript sources through swc (no type-checking: `npm run typecheck` does that once, as a
// separate step of `npm test`), which keeps the cold suite fast despite the large provider typings.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // The slow suites mostly wait (on spawned commands, openssl, local servers): three workers overlap the waiting
  // on a 2-core machine (it measured so when the suite was small; see the README for its time now).
  maxWorkers: 3,
  // Every test and hook may take 60 s (SLOW_TEST_MS in test/cli/run.ts; test/lint/jest-config.test.ts keeps the two
  // equal), not jest's 5 s: many wait on local servers (fake SSM/S3, fake Keycloak), the lazy first load of the AWS
  // SDK, ESLint or a stack synthesis, all of which take several seconds on a loaded machine. A test that hangs fails
  // later, which costs less than a suite that fails under load.
  testTimeout: 60_000,
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
};
