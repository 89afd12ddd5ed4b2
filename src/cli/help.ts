import * as fs from "node:fs";
import * as path from "node:path";
import { FlagSpec } from "./args";
import { projectRoot } from "./cdktf";

/**
 * `--help` (`-h`) and `--version`, the same for every command: the usage, what the command does, each flag with one
 * line, an example. A command's flags are declared once, here, and its FlagSpec is derived from them, so the help
 * cannot leave a flag out.
 */

/** One flag of a command, as its help shows it. */
export interface FlagHelp {
  /** Its name, without the dashes. */
  readonly name: string;
  /** The placeholder of its value (`DIR`), for a flag that takes one. @default - a switch */
  readonly value?: string;
  /** What it does, in one line. */
  readonly text: string;
}

export interface CommandHelp {
  /** The ways to call it, `npm run hcl -- ...`, one line each. */
  readonly usage: readonly string[];
  /** What it does, in a few sentences. */
  readonly description: string;
  /** Its flags, in the order the help lists them (the --help and --version lines are added). */
  readonly flags: readonly FlagHelp[];
  /** One command line that works as written. */
  readonly example: string;
}

/** The flags every command takes besides its own: they print and exit, doing nothing else. */
const INFO_FLAGS: readonly FlagHelp[] = [
  { name: "help", text: "print this text and exit (-h does the same)" },
  { name: "version", text: "print the version of keycloak-ec2 and exit" },
];

/** What parseFlags accepts for these flags. */
export function flagSpecOf(flags: readonly FlagHelp[]): FlagSpec {
  return Object.fromEntries(flags.map((flag) => [flag.name, flag.value ? "value" : "switch"]));
}

/** Words wrapped into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** The text `--help` prints. */
export function helpText(help: CommandHelp): string {
  const flags = [...help.flags, ...INFO_FLAGS].map((flag) => ({
    left: `--${flag.name}${flag.value ? ` ${flag.value}` : ""}`,
    text: flag.text,
  }));
  const width = Math.max(15, ...flags.map((flag) => flag.left.length + 2));
  return [
    ...help.usage.map((line, i) => `${i === 0 ? "Usage: " : "       "}${line}`),
    "",
    ...wrap(help.description, 116),
    "",
    ...flags.map((flag) => `  ${flag.left.padEnd(width)}${flag.text}`),
    "",
    `Example: ${help.example}`,
    "",
  ].join("\n");
}

/** The version in the project's package.json. */
export function packageVersion(root: string = projectRoot()): string {
  return (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * What to print instead of running the command, when its arguments ask for the help (`--help`, `-h`) or the version
 * (`--version`), wherever they are among the flags; otherwise undefined.
 */
export function helpOrVersion(argv: readonly string[], help: CommandHelp): string | undefined {
  if (argv.includes("--help") || argv.includes("-h")) return helpText(help);
  if (argv.includes("--version")) return `${packageVersion()}\n`;
  return undefined;
}
