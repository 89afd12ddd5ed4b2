import * as path from "node:path";
import { SLOW_TEST_MS } from "../cli/run";

// The suite must pass on a loaded machine (issue 9, item 17): every test and hook waits up to SLOW_TEST_MS, not
// jest's 5 s, unless it says otherwise. jest.config.js is CommonJS, loaded with require as eslint.config.js is.
const REPO = path.resolve(__dirname, "../..");

describe("jest.config.js", () => {
  it("gives every test and hook SLOW_TEST_MS, so that those waiting on local servers pass under load", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(REPO, "jest.config.js")) as { testTimeout?: number };
    expect(config.testTimeout).toBe(SLOW_TEST_MS);
  });
});
