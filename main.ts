import { runMain } from "./src/cli/edge";
import { synthCommand } from "./src/cli/synth";

// The cdktf app (cdktf.json runs `node dist/main.js`), and `npm run synth`. The command is src/cli/synth.ts.
if (require.main === module) runMain(synthCommand);
