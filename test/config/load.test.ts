import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig } from "../../src/config/load";
import { problemsOf } from "../problems";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-config-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

describe("loadConfig: where the config comes from", () => {
  it("uses the defaults when no file is named or present", () => {
    const loaded = loadConfig({ flags: {}, env: {}, cwd: dir });
    expect(loaded.file).toBeUndefined();
    expect(loaded.config.profile).toBe("production");
  });

  it("reads keycloak.config.json from the working directory", () => {
    write("keycloak.config.json", '{ "profile": "dev" }');
    expect(loadConfig({ flags: {}, env: {}, cwd: dir }).config.profile).toBe("dev");
  });

  it("prefers KEYCLOAK_EC2_CONFIG over the working directory's file, and --config over both", () => {
    write("keycloak.config.json", '{ "profile": "dev" }');
    write("env.json", '{ "profile": "article" }');
    write("flag.json", '{ "profile": "production", "name": "from-flag" }');
    expect(loadConfig({ flags: {}, env: { KEYCLOAK_EC2_CONFIG: "env.json" }, cwd: dir }).config.profile).toBe(
      "article",
    );
    expect(
      loadConfig({ flags: { config: "flag.json" }, env: { KEYCLOAK_EC2_CONFIG: "env.json" }, cwd: dir }).config.name,
    ).toBe("from-flag");
  });

  it("lets --profile/--region override the file, and the environment variables override it when no flag is given", () => {
    write("keycloak.config.json", '{ "profile": "dev", "region": "eu-west-1" }');
    const env = { KEYCLOAK_EC2_PROFILE: "article", KEYCLOAK_EC2_REGION: "us-east-1" };
    expect(loadConfig({ flags: {}, env, cwd: dir }).config).toMatchObject({ profile: "article", region: "us-east-1" });
    expect(loadConfig({ flags: { profile: "production", region: "eu-west-3" }, env, cwd: dir }).config).toMatchObject({
      profile: "production",
      region: "eu-west-3",
    });
  });
});

describe("loadConfig: file problems", () => {
  it("names a missing --config file", () => {
    expect(problemsOf(() => loadConfig({ flags: { config: "nope.json" }, env: {}, cwd: dir }))).toEqual([
      `config error: --config: ${path.join(dir, "nope.json")}: file not found (check the path, or leave it out to use the defaults)`,
    ]);
  });

  it("names a missing file given by KEYCLOAK_EC2_CONFIG", () => {
    expect(problemsOf(() => loadConfig({ flags: {}, env: { KEYCLOAK_EC2_CONFIG: "gone.json" }, cwd: dir }))[0]).toMatch(
      /^config error: KEYCLOAK_EC2_CONFIG: .*gone\.json: file not found/,
    );
  });

  it("says when the config path is a directory", () => {
    fs.mkdirSync(path.join(dir, "conf"));
    expect(problemsOf(() => loadConfig({ flags: { config: "conf" }, env: {}, cwd: dir }))[0]).toMatch(
      /^config error: --config: .*conf: is a directory/,
    );
  });

  it.each([
    ["a trailing comma", '{\n  "profile": "dev",\n}\n', "3:1", "PropertyNameExpected"],
    ["a missing colon", '{\n  "profile" "dev"\n}', "2:13", "ColonExpected"],
    ["a missing comma", '{ "profile": "dev"\n  "region": "eu-west-3" }', "2:3", "CommaExpected"],
    ["an unclosed object", '{ "profile": "dev"', "1:19", "CloseBraceExpected"],
    ["a bare word", '{ "elasticIp": yes }', "1:16", "InvalidSymbol"],
    ["a comment", '{ // production\n "profile": "dev" }', "1:3", "InvalidCommentToken"],
    ["an empty file", "", "1:1", "ValueExpected"],
  ])("reports %s with file, line and column", (_what, text, position, code) => {
    const file = write("bad.json", text);
    const problems = problemsOf(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }));
    expect(problems[0]).toBe(`config error: ${file}:${position}: invalid JSON: ${code} (fix the JSON syntax)`);
  });

  it("refuses a key given twice instead of silently keeping the last", () => {
    const file = write("dup.json", '{\n  "keycloak": { "version": "26.7.4",\n    "version": "26.0.0" }\n}');
    expect(problemsOf(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }))).toEqual([
      `config error: keycloak.version: given twice (again at ${file}:3:5) (keep one)`,
    ]);
  });

  it("passes the file's values through validation", () => {
    const file = write("c.json", '{ "profile": "article", "region": "eu-west-99" }');
    expect(problemsOf(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }))[0]).toMatch(
      /^config error: region: "eu-west-99" is not an AWS region/,
    );
  });
});
