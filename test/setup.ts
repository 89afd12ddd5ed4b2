import { Testing } from "cdktf";
// Brings the matchers' type declarations (toHaveResourceWithProperties, ...) into every test file.
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
