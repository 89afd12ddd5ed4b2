import * as path from "node:path";
import { BackendConfig } from "../config/schema";
import { problemLine } from "../errors";

/**
 * Moving the Terraform state to the backend the config now names (local -> S3 -> HCP Terraform), as pure functions:
 * which backend Terraform was initialized with in the stack's directory, and which `terraform init` moves the
 * state from it. The command itself is src/cli/migrate-state.ts.
 */

/** Backend types as Terraform records them in `.terraform/terraform.tfstate` (`cloud` for HCP Terraform). */
export type RecordedBackend = string;

/**
 * The backend Terraform was last initialized with in `stackDir`, from `.terraform/terraform.tfstate` (which holds
 * the backend's settings, not the infrastructure's state), or undefined when it records none.
 */
export function recordedBackend(
  stackDir: string,
  readFile: (file: string) => string | undefined,
): RecordedBackend | undefined {
  const text = readFile(path.join(stackDir, ".terraform", "terraform.tfstate"));
  if (text === undefined) return undefined;
  try {
    const type = (JSON.parse(text) as { backend?: { type?: unknown } } | null)?.backend?.type;
    return typeof type === "string" && type !== "" ? type : undefined;
  } catch {
    return undefined;
  }
}

/** How a backend is named in messages: `the local backend`, `s3`, `HCP Terraform`. */
export function backendName(type: string): string {
  return type === "cloud" ? "HCP Terraform" : type === "local" ? "the local backend" : type;
}

export interface MigrationOptions {
  /** `--yes`: copy the state without asking. */
  readonly yes: boolean;
  /** The stack's directory, as shown in messages (`cdktf.out/stacks/<name>`). */
  readonly stackDir: string;
}

/** What `npm run migrate-state` runs, or why it cannot. */
export type Migration =
  | { readonly args: readonly string[]; readonly from: RecordedBackend; readonly interactive: boolean }
  | { readonly problem: string };

/**
 * The `terraform init` that moves the state from the `previous` backend to `next`, in the stack's directory:
 *
 * - to local or S3 state: `terraform init -migrate-state`, which asks before copying; with `--yes`, `-force-copy`
 *   copies without asking, and `-input=false` makes any other question an error rather than a wait;
 * - to HCP Terraform: plain `terraform init`, which asks its own questions (Terraform refuses `-migrate-state` and
 *   `-force-copy` with a `cloud` block), so `--yes` cannot apply;
 * - from HCP Terraform to another backend: Terraform cannot (`terraform state pull` and `push` can).
 *
 * With no previous backend recorded there is nothing Terraform could copy from, and initializing the new one would
 * start from an empty state, so that is refused too.
 */
export function migration(
  previous: RecordedBackend | undefined,
  next: BackendConfig,
  { yes, stackDir }: MigrationOptions,
): Migration {
  const what = "migrate-state";
  if (previous === undefined) {
    return {
      problem: problemLine(
        what,
        stackDir,
        "records no previous backend (.terraform/terraform.tfstate), so there is no state to move from",
        `synthesize with the config of the previous backend (npm run synth -- --config OLD), run terraform -chdir=${stackDir} init, ` +
          "then run this again with the new config; with nothing deployed yet, npm run deploy initializes the new backend",
      ),
    };
  }
  if (previous === "cloud" && next.type !== "cloud") {
    return {
      problem: problemLine(
        what,
        "backend",
        `Terraform cannot move state out of HCP Terraform to ${backendName(next.type)}`,
        "copy it with terraform state pull and terraform state push, as docs/deploy.md shows",
      ),
    };
  }
  if (next.type === "cloud") {
    if (yes) {
      return {
        problem: problemLine(
          what,
          "--yes",
          "terraform init asks its own questions when it moves state to HCP Terraform, and takes no -force-copy there",
          "run npm run migrate-state without --yes on a terminal, or copy the state with terraform state pull and terraform state push, as docs/deploy.md shows",
        ),
      };
    }
    return { args: ["init"], from: previous, interactive: true };
  }
  return {
    args: yes ? ["init", "-migrate-state", "-force-copy", "-input=false"] : ["init", "-migrate-state"],
    from: previous,
    interactive: !yes,
  };
}
