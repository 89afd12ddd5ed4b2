/**
 * Terraform JSON (cdktf's `cdk.tf.json`) as HCL files meaning exactly the same, formatted as `terraform fmt` does.
 *
 * Exact means: read back by HCL's parser, every block, attribute and value is the one the JSON has (an empty list
 * stays `[]`, `nullable = false` stays, a string keeps or lacks its final newline, text Terraform takes verbatim
 * keeps its `${`). Where native syntax cannot say what the JSON says, `exportHcl` throws an `HclExportError`
 * naming the value instead of writing something else. Which properties are blocks, and how Terraform reads each
 * string, is in ./schema.ts; JSON objects it does not know as blocks are written as attributes.
 * What changes is only spelling: cdktf's `//` comments are dropped (a `//` key of a map value is data and stays),
 * `"${expr}"` is written `expr`, meta-arguments move to the top (`count`, `for_each`, `provider`) or bottom
 * (`depends_on`, `lifecycle`, ...) of their block, a provider `source` without a namespace (`aws`) gets
 * Terraform's implied one (`hashicorp/aws`), and local-backend paths are rebased (see `ExportHclOptions`).
 */
import { isAbsolute, relative, resolve, sep } from "path";
import { format } from "@cdktf/hcl-tools";
import { HclExportError, isObject, JsonObject, JsonValue, RenderContext, renderBlocks } from "./render";
import { ROOT } from "./schema";

export { HclExportError } from "./render";
export type { JsonObject, JsonValue } from "./render";

/** A Terraform JSON document: top-level keys `terraform`, `provider`, `variable`, `resource`, ... and cdktf's `//`. */
export type TerraformJson = JsonObject;

/** The files, each formatted, or `""` when it has nothing to declare. */
export interface HclFiles {
  /** `terraform` settings, data sources, locals, modules, resources, `moved` and `import` blocks, outputs. */
  readonly "main.tf": string;
  readonly "providers.tf": string;
  readonly "variables.tf": string;
}

export interface ExportHclOptions {
  /**
   * The directory the JSON is run from (cdktf: `cdktf.out/stacks/<stack>`), against which its relative
   * local-backend `path` and `workspace_dir` resolve. Given with `toDir`, they are rewritten relative to `toDir`.
   */
  readonly fromDir?: string;
  /**
   * The directory the HCL files are written to. A local-backend path that is absolute (cdktf's default state path
   * is) is written relative to it; without `toDir`, an absolute path is an error rather than embedded.
   */
  readonly toDir?: string;
}

/** Top-level block types, in the order written, and their files. */
const FILES: ReadonlyArray<readonly [string, keyof HclFiles]> = [
  ["terraform", "main.tf"],
  ["provider", "providers.tf"],
  ["variable", "variables.tf"],
  ["data", "main.tf"],
  ["locals", "main.tf"],
  ["module", "main.tf"],
  ["resource", "main.tf"],
  ["moved", "main.tf"],
  ["import", "main.tf"],
  ["output", "main.tf"],
];

export async function exportHcl(tfJson: TerraformJson, options: ExportHclOptions = {}): Promise<HclFiles> {
  if (!isObject(tfJson)) throw new HclExportError("(document)", "a Terraform JSON document is a JSON object");
  const unknown = Object.keys(tfJson).filter((key) => key !== "//" && !FILES.some(([type]) => type === key));
  if (unknown.length) throw new HclExportError(unknown[0]!, "not a top-level block type this writer knows");

  const context: RenderContext = { localPath: (path, at) => rebaseLocalPath(path, at, options) };
  const blocks: Record<keyof HclFiles, string[]> = { "main.tf": [], "providers.tf": [], "variables.tf": [] };
  for (const [type, file] of FILES) {
    const value: JsonValue | undefined = tfJson[type];
    if (value !== undefined) blocks[file].push(...renderBlocks(type, value, ROOT.blocks![type]!, type, context));
  }
  const [main, providers, variables] = await Promise.all([blocks["main.tf"], blocks["providers.tf"], blocks["variables.tf"]].map(formatFile));
  return { "main.tf": main!, "providers.tf": providers!, "variables.tf": variables! };
}

/** Blocks separated by a blank line, formatted; nothing at all for no blocks. */
async function formatFile(blocks: readonly string[]): Promise<string> {
  return blocks.length ? format(blocks.join("\n")) : "";
}

/** A local-backend path as seen from `toDir` (see `ExportHclOptions`), '/'-separated. */
function rebaseLocalPath(path: string, at: string, { fromDir, toDir }: ExportHclOptions): string {
  if (toDir === undefined) {
    if (isAbsolute(path)) throw new HclExportError(at, `"${path}" is absolute: pass the toDir option to write it relative to the HCL files`);
    return path;
  }
  if (!isAbsolute(path) && fromDir === undefined) return path;
  return relative(toDir, resolve(fromDir ?? toDir, path)).split(sep).join("/");
}
