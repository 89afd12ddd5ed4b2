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
 * Terraform's implied one (`hashicorp/aws`), and local-backend paths are rebased (see `ExportHclOptions`). Asked
 * to, it leaves the backend out and heads every file with a comment; neither changes what the other blocks mean.
 */
import { isAbsolute, relative, resolve, sep } from "path";
import { format } from "@cdktf/hcl-tools";
import { HclExportError, isObject, JsonObject, JsonValue, RenderContext, renderBlocks } from "./render";
import { ROOT } from "./schema";

export { HclExportError } from "./render";
export type { JsonObject, JsonValue } from "./render";

/** A Terraform JSON document: top-level keys `terraform`, `provider`, `variable`, `resource`, ... and cdktf's `//`. */
export type TerraformJson = JsonObject;

/** The files, laid out as terraform-aws-modules lays them out, each formatted (see `ExportHclOptions.header`). */
export interface HclFiles {
  /** The `terraform` block: `required_version`, `required_providers`, the backend. */
  readonly "versions.tf": string;
  /** Provider configurations. */
  readonly "providers.tf": string;
  /** Input variables. */
  readonly "variables.tf": string;
  /** Data sources, locals, modules, resources, `moved` and `import` blocks. */
  readonly "main.tf": string;
  /** Outputs. */
  readonly "outputs.tf": string;
}

/** The file names, in the order the files are written and listed. */
export const HCL_FILE_NAMES: readonly (keyof HclFiles)[] = [
  "versions.tf",
  "providers.tf",
  "variables.tf",
  "main.tf",
  "outputs.tf",
];

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
  /**
   * Whether to write the `terraform` block's `backend` (or `cloud`) block. Left out, the files mean the JSON
   * without it: the directory's runner (a Terraform Cloud workspace, `-backend-config`) supplies one.
   * @default true
   */
  readonly backend?: boolean;
  /**
   * One line of text (no line break, nothing unprintable) written as a `#` comment at the top of every file, e.g.
   * what generated it. HCL's parser drops comments, so the files mean the same with or without it. A file with
   * nothing to declare then holds the header and a comment saying so.
   * @default - no header, and a file with nothing to declare is ""
   */
  readonly header?: string;
}

/** Top-level block types, in the order written, and their files. */
const FILES: ReadonlyArray<readonly [string, keyof HclFiles]> = [
  ["terraform", "versions.tf"],
  ["provider", "providers.tf"],
  ["variable", "variables.tf"],
  ["data", "main.tf"],
  ["locals", "main.tf"],
  ["module", "main.tf"],
  ["resource", "main.tf"],
  ["moved", "main.tf"],
  ["import", "main.tf"],
  ["output", "outputs.tf"],
];

/** What an empty file says under a header. */
const NOTHING: Readonly<Record<keyof HclFiles, string>> = {
  "versions.tf": "This stack has no Terraform settings.",
  "providers.tf": "This stack configures no provider.",
  "variables.tf": "This stack declares no variables.",
  "main.tf": "This stack declares no resources, data sources or locals.",
  "outputs.tf": "This stack declares no outputs.",
};

export async function exportHcl(tfJson: TerraformJson, options: ExportHclOptions = {}): Promise<HclFiles> {
  if (!isObject(tfJson)) throw new HclExportError("(document)", "a Terraform JSON document is a JSON object");
  const unknown = Object.keys(tfJson).filter((key) => key !== "//" && !FILES.some(([type]) => type === key));
  if (unknown.length) throw new HclExportError(unknown[0]!, "not a top-level block type this writer knows");
  const header = options.header === undefined ? undefined : headerLine(options.header);
  const document = options.backend === false ? withoutBackend(tfJson) : tfJson;

  const context: RenderContext = { localPath: (path, at) => rebaseLocalPath(path, at, options) };
  const blocks: Record<keyof HclFiles, string[]> = {
    "versions.tf": [],
    "providers.tf": [],
    "variables.tf": [],
    "main.tf": [],
    "outputs.tf": [],
  };
  for (const [type, file] of FILES) {
    const value: JsonValue | undefined = document[type];
    if (value !== undefined) blocks[file].push(...renderBlocks(type, value, ROOT.blocks![type]!, type, context));
  }
  const texts = await Promise.all(
    HCL_FILE_NAMES.map(async (name) => [name, await formatFile(blocks[name], header, NOTHING[name])] as const),
  );
  return Object.fromEntries(texts) as unknown as HclFiles;
}

/** Blocks separated by a blank line, formatted, under the header; nothing at all for no blocks and no header. */
async function formatFile(blocks: readonly string[], header: string | undefined, nothing: string): Promise<string> {
  const body = blocks.length ? await format(blocks.join("\n")) : "";
  if (header === undefined) return body;
  return body ? `${header}\n${body}` : `${header}# ${nothing}\n`;
}

/** Kept out of the header comment: line breaks (which would end it) and other unprintable characters. */
const NOT_IN_COMMENT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

function headerLine(text: string): string {
  if (NOT_IN_COMMENT.test(text))
    throw new HclExportError("(header)", `${JSON.stringify(text)} must be one line of printable text`);
  return `# ${text}\n`;
}

/** The document without `terraform.backend` and `terraform.cloud` (a `terraform` block left empty goes too). */
function withoutBackend(tfJson: TerraformJson): TerraformJson {
  const settings = tfJson.terraform;
  if (settings === undefined || settings === null) return tfJson;
  const strip = (block: JsonValue): JsonValue[] => {
    if (!isObject(block)) return [block];
    const rest = Object.fromEntries(Object.entries(block).filter(([key]) => key !== "backend" && key !== "cloud"));
    return Object.keys(rest).some((key) => key !== "//") ? [rest] : [];
  };
  const terraform = Array.isArray(settings) ? settings.flatMap(strip) : strip(settings);
  const { terraform: _, ...rest } = tfJson;
  return terraform.length === 0 ? rest : { ...rest, terraform: Array.isArray(settings) ? terraform : terraform[0]! };
}

/** A local-backend path as seen from `toDir` (see `ExportHclOptions`), '/'-separated. */
function rebaseLocalPath(path: string, at: string, { fromDir, toDir }: ExportHclOptions): string {
  if (toDir === undefined) {
    if (isAbsolute(path))
      throw new HclExportError(
        at,
        `"${path}" is absolute: pass the toDir option to write it relative to the HCL files`,
      );
    return path;
  }
  if (!isAbsolute(path) && fromDir === undefined) return path;
  return relative(toDir, resolve(fromDir ?? toDir, path))
    .split(sep)
    .join("/");
}
