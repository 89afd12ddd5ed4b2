import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PreflightInputs } from "./inputs";

/** An executable file at `file`. */
function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The real machine, seen through `env` (a command's environment): PATH lookup, files, and a bounded `spawnSync`. */
export function systemInputs(env: NodeJS.ProcessEnv, projectDir?: string): PreflightInputs {
  return {
    env,
    projectDir,
    home: env.HOME || os.homedir(),
    which: (command) =>
      command.includes("/")
        ? isExecutable(command)
          ? path.resolve(command)
          : undefined
        : (env.PATH ?? "")
            .split(path.delimiter)
            .filter(Boolean)
            .map((dir) => path.join(dir, command))
            .find(isExecutable),
    readFile: (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    },
    // `terraform version` asks HashiCorp's checkpoint service about updates, which stalls offline.
    run: (program, args) => {
      const result = spawnSync(program, args, {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...env, CHECKPOINT_DISABLE: "1" },
      });
      return { status: result.status, stdout: result.stdout ?? "", error: result.error?.message };
    },
  };
}
