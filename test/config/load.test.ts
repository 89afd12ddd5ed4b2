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
  it("names a missing --config file as given, and where it looked", () => {
    expect(problemsOf(() => loadConfig({ flags: { config: "nope.json" }, env: {}, cwd: dir }))).toEqual([
      `config error: --config: nope.json: file not found, looked for ${path.join(dir, "nope.json")} (check the path, or leave it out to use the defaults)`,
    ]);
  });

  it("resolves a relative --config against the working directory", () => {
    fs.mkdirSync(path.join(dir, "conf"));
    write("conf/sso.json", '{ "name": "sso" }');
    const loaded = loadConfig({ flags: { config: "conf/sso.json" }, env: {}, cwd: dir });
    expect(loaded.config.name).toBe("sso");
    expect(loaded.file).toBe(path.join(dir, "conf", "sso.json"));
  });

  it("names a missing file given by KEYCLOAK_EC2_CONFIG", () => {
    expect(problemsOf(() => loadConfig({ flags: {}, env: { KEYCLOAK_EC2_CONFIG: "gone.json" }, cwd: dir }))[0]).toMatch(
      /^config error: KEYCLOAK_EC2_CONFIG: gone\.json: file not found/,
    );
  });

  it("says when the config path is a directory", () => {
    fs.mkdirSync(path.join(dir, "conf"));
    expect(problemsOf(() => loadConfig({ flags: { config: "conf" }, env: {}, cwd: dir }))).toEqual([
      "config error: --config: conf: is a directory (check the path, or leave it out to use the defaults)",
    ]);
  });

  it.each([
    [
      "a trailing comma in an object, once, at the comma",
      '{\n  "profile": "dev",\n}\n',
      "2:19: invalid JSON: a comma after the last entry (remove this comma, JSON allows none before } or ])",
    ],
    [
      "a trailing comma in a list",
      '{ "sshCidrs": ["10.0.0.0/8",\n  ] }',
      "1:28: invalid JSON: a comma after the last entry (remove this comma, JSON allows none before } or ])",
    ],
    [
      "a missing colon",
      '{\n  "profile" "dev"\n}',
      '2:13: invalid JSON: expected a colon before "dev" (write "field": value)',
    ],
    [
      "a missing comma",
      '{ "profile": "dev"\n  "region": "eu-west-3" }',
      '2:3: invalid JSON: expected a comma before "region" (separate the entries of an object or a list with commas)',
    ],
    [
      "an unclosed object",
      '{ "profile": "dev"',
      '1:19: invalid JSON: expected "}" at the end of the file (close each { with a "}")',
    ],
    [
      "a bare word",
      '{ "elasticIp": yes }',
      '1:16: invalid JSON: unexpected "yes" (write text in "double quotes", and true, false and null in lower case)',
    ],
    [
      "single quotes",
      "{ 'profile': 'dev' }",
      '1:3: invalid JSON: unexpected "\'profile\'" (write text in "double quotes", and true, false and null in lower case)',
    ],
    [
      "a comment",
      '{ // production\n "profile": "dev" }',
      "1:3: invalid JSON: a comment, which JSON does not allow (remove the comment)",
    ],
    [
      "a string across lines",
      '{ "name": "kc\n" }',
      '1:11: invalid JSON: a string that does not end on its line (close it with a " on the same line)',
    ],
    [
      "a number with a leading zero",
      '{ "rootVolumeSize": 020 }',
      "1:22: invalid JSON: a number with a leading zero (write 20, not 020)",
    ],
    [
      "text after the object",
      '{ "profile": "dev" } x',
      '1:22: invalid JSON: "x" after the end of the config (keep one JSON object in the file)',
    ],
  ])("reports %s in words, with file, line and column", (_what, text, message) => {
    write("bad.json", text);
    expect(problemsOf(() => loadConfig({ flags: { config: "bad.json" }, env: {}, cwd: dir }))).toEqual([
      `config error: bad.json:${message}`,
    ]);
  });

  it("says an empty file is empty", () => {
    write("keycloak.config.json", "\n");
    expect(problemsOf(() => loadConfig({ flags: {}, env: {}, cwd: dir }))).toEqual([
      'config error: keycloak.config.json: the file is empty (write a JSON object such as { "profile": "production" }, or leave the file out)',
    ]);
  });

  it("names the file, as given, when the config is not an object", () => {
    write("list.json", '["production"]');
    expect(problemsOf(() => loadConfig({ flags: { config: "list.json" }, env: {}, cwd: dir }))).toEqual([
      'config error: list.json: the config must be a JSON object, got a list (write { "profile": "production", ... })',
    ]);
  });

  it("skips the byte order mark some Windows editors write", () => {
    write("bom.json", '\ufeff{ "profile": "dev" }');
    expect(loadConfig({ flags: { config: "bom.json" }, env: {}, cwd: dir }).config.profile).toBe("dev");
  });

  it("refuses a key given twice instead of silently keeping the last", () => {
    write("dup.json", '{\n  "keycloak": { "version": "26.7.4",\n    "version": "26.0.0" }\n}');
    expect(problemsOf(() => loadConfig({ flags: { config: "dup.json" }, env: {}, cwd: dir }))).toEqual([
      "config error: keycloak.version: given twice, again at dup.json:3:5 (keep one)",
    ]);
  });

  it("passes the file's values through validation", () => {
    const file = write("c.json", '{ "profile": "article", "region": "eu-west-99" }');
    expect(problemsOf(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }))[0]).toMatch(
      /^config error: region: "eu-west-99" is not an AWS region/,
    );
  });
});
