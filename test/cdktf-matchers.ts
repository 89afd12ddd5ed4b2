import { Testing } from "cdktf";
// The matchers' type declarations (toHaveResourceWithProperties, ...).
import "cdktf/lib/testing/adapters/jest";

// cdktf's jest matchers, for the test files that import this module. Not a global setup file: loading cdktf costs
// about 0.4 s of CPU per test file, which most files do not need.
Testing.setupJest();
