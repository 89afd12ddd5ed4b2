import { parseFlags } from "../../src/cli/args";
import { problemsOf } from "../problems";

const SPEC = { profile: "value", config: "value", check: "switch" } as const;

describe("parseFlags", () => {
  it("reads --name value, --name=value and switches", () => {
    expect(parseFlags(["--profile", "dev", "--config=a=b.json", "--check"], SPEC)).toEqual({
      profile: "dev",
      config: "a=b.json",
      check: true,
    });
  });

  it.each([
    [
      ["--profil", "dev"],
      "flag error: --profil: unknown flag (did you mean --profile? flags are --profile, --config, --check)",
    ],
    [["--profile"], "flag error: --profile: needs a value (write --profile VALUE)"],
    [["--profile", "--check"], "flag error: --profile: needs a value (write --profile VALUE)"],
    [["--profile="], "flag error: --profile: needs a value (write --profile VALUE)"],
    [["--check=yes"], "flag error: --check: takes no value (write --check alone)"],
    [["article"], "flag error: article: unexpected argument (flags are --profile, --config, --check)"],
    [["--profile", "dev", "--profile", "article"], "flag error: --profile: given more than once (give it once)"],
  ])("%j -> %s", (argv, expected) => {
    expect(problemsOf(() => parseFlags(argv, SPEC))).toEqual([expected]);
  });

  it("still reads the switch that follows a value-less flag", () => {
    expect(problemsOf(() => parseFlags(["--profile", "--check", "--bogus"], SPEC))).toHaveLength(2);
  });
});
