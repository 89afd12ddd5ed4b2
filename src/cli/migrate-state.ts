import * as path from "node:path";
import { parseFlags } from "./args";
import { projectRoot, runToEnd } from "./cdktf";
import { commandConfig, CONFIG_FLAG_HELP, CONFIG_USAGE } from "./config";
import { CommandIO, runMain } from "./edge";
import { CommandHelp, flagSpecOf, helpOrVersion } from "./help";
import { DEFAULT_OUTDIR, stackFile, synthesizeAtomically, synthesizeStack } from "./synth";
import { whyNoAnswer } from "../deploy/lifecycle";
import { backendName, migration, recordedBackend } from "../deploy/migrate-state";
import { statePreflight } from "../deploy/preflight";
import { systemInputs } from "../deploy/preflight/system";
import { problemLine, UserError } from "../errors";

export const MIGRATE_STATE_HELP: CommandHelp = {
  usage: [`npm run migrate-state -- ${CONFIG_USAGE} [--yes]`],
  description:
    "Moves the Terraform state to the backend the config now names (local, S3, HCP Terraform): synthesizes the " +
    "stack with it into cdktf.out, where Terraform remembers the backend it was initialized with, then runs " +
    "terraform init -migrate-state in cdktf.out/stacks/<name> (plain terraform init for HCP Terraform, which asks " +
    "its own questions). Checks first that terraform is there and what the new backend needs. Terraform copies the " +
    "state and leaves the previous backend's copy in place.",
  flags: [
    ...CONFIG_FLAG_HELP,
    {
      name: "yes",
      text: "copy the state without asking (terraform init -force-copy), for CI; not for HCP Terraform",
    },
  ],
  example: "npm run migrate-state -- --config keycloak.s3.json --yes",
};

/**
 * `npm run migrate-state -- [--profile P] [--config F] [--region R] [--yes]`: moves the state to the config's
 * backend. Runs in `root` (the project directory, where cdktf runs Terraform), which tests replace.
 */
export async function migrateStateCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
  root: string = projectRoot(),
): Promise<void> {
  const info = helpOrVersion(argv, MIGRATE_STATE_HELP);
  if (info) return io.stdout(info);
  const copyFlag = "write --yes, which passes -force-copy to terraform init";
  const flags = parseFlags(argv, flagSpecOf(MIGRATE_STATE_HELP.flags), {
    "auto-approve": copyFlag,
    "force-copy": copyFlag,
  });
  const yes = flags.yes === true;
  const { config } = commandConfig(flags, env, cwd, io);
  const machine = systemInputs(env);
  const stackDir = path.dirname(stackFile(path.join(root, DEFAULT_OUTDIR), config.name));
  const shownDir = path.relative(root, stackDir);

  // What the backend was is read before the synthesis, which keeps it (.terraform moves to the new output).
  const report = statePreflight(config, machine);
  const plan = migration(recordedBackend(stackDir, machine.readFile), config.backend, { yes, stackDir: shownDir });
  const problems = [...report.problems];
  if ("problem" in plan) problems.push(plan.problem);
  else if (plan.interactive) {
    const why = whyNoAnswer(env, { stdin: io.stdinIsTty ?? false, stdout: io.terminalColumns !== undefined }, false);
    if (why) {
      problems.push(
        problemLine(
          "migrate-state",
          "--yes",
          `not given, and ${why}, so nobody can answer terraform init's questions and it would wait forever`,
          config.backend.type === "cloud"
            ? "run it on a terminal: HCP Terraform's migration has no non-interactive form in terraform init"
            : "run npm run migrate-state -- --yes, which copies the state without asking",
        ),
      );
    }
  }
  if (problems.length) throw new UserError(problems);
  if ("problem" in plan) return; // (reported above; narrows the type)
  for (const line of report.summary) io.stdout(`${line}\n`);

  synthesizeAtomically((outdir) => synthesizeStack(config, outdir), {}, root);
  const from = backendName(plan.from);
  const to = backendName(config.backend.type);
  const terraform = env.TERRAFORM_BINARY_NAME || "terraform";
  const command = `${terraform} ${plan.args.join(" ")}`;
  io.stdout(`migrate-state: from ${from} to ${to}: ${command} in ${shownDir}\n`);
  const childEnv = { ...env, CHECKPOINT_DISABLE: env.CHECKPOINT_DISABLE ?? "1" };
  // The preflight found it on PATH.
  const { code } = await runToEnd(machine.which(terraform) ?? terraform, plan.args, { cwd: stackDir, env: childEnv });
  if (code !== 0) {
    throw new UserError(
      problemLine(
        "migrate-state",
        command,
        `failed with exit code ${code}`,
        `see its messages above; the state is still in ${from}`,
      ),
      code,
    );
  }
  io.stdout(
    `migrate-state: terraform init finished; npm run diff should now plan no changes. Terraform copies, it does not ` +
      `delete: ${from} still holds the previous state, secrets included; remove it once the new backend is in use.\n`,
  );
}

if (require.main === module) runMain(migrateStateCommand);
