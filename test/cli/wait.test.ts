import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { urlFlag, waitCommand } from "../../src/cli/wait";
import { loadConfig } from "../../src/config/load";
import { ready, useFakeKeycloak } from "../deploy/fake-keycloak";
import { runInProcess, SLOW_TEST_MS } from "./run";

// Tests that wait on a fake Keycloak have SLOW_TEST_MS.
const { serve } = useFakeKeycloak();

// `root` stands for the project directory, where deploy keeps the outputs file.
let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "kc-wait-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const wait = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  runInProcess((a, e, c, io) => waitCommand(a, e, c, io, root), argv, { cwd: root, env });
/** The dev profile's outputs file in the project directory. */
const devOutputsFile = () =>
  path.join(root, `${loadConfig({ flags: { profile: "dev" }, env: {}, cwd: root }).config.name}.outputs.json`);

describe("npm run wait", () => {
  it("refuses the article profile, which never starts Keycloak", async () => {
    expect(await wait(["--profile", "article"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'wait error: profile: "article" never starts Keycloak, its boot only installs Docker and PostgreSQL as the guide\'s does (nothing to wait for; the dev, production and cluster profiles run Keycloak)\n',
    });
  });

  it(
    "waits for the URL given, accepting the dev profile's self-signed certificate",
    async () => {
      const url = await serve(ready);
      const { code, stdout } = await wait(["--profile", "dev", "--url", `${url}/`, "--timeout", "5"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(
        new RegExp(
          `^waiting for Keycloak at ${url}: \\d+ s, ready\\ncertificate: issued by localhost, valid until .+\\n$`,
        ),
      );
    },
    SLOW_TEST_MS,
  );

  it(
    "takes keycloak_url from the outputs file that deploy wrote",
    async () => {
      const url = await serve(ready);
      const file = devOutputsFile();
      fs.writeFileSync(file, JSON.stringify({ [path.basename(file, ".outputs.json")]: { keycloak_url: url } }));
      expect((await wait(["--profile", "dev"])).stdout).toMatch(
        new RegExp(
          `^waiting for Keycloak at ${url}: \\d+ s, ready\\ncertificate: issued by localhost, valid until .+\\n$`,
        ),
      );
    },
    SLOW_TEST_MS,
  );

  it("says what to run when there is no outputs file", async () => {
    const file = devOutputsFile();
    expect(await wait(["--profile", "dev"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `output error: ${file}: not found (run npm run deploy, or npm run output to fetch the outputs from the Terraform state)\n`,
    });
  });

  it("checks --timeout and --url", async () => {
    expect((await wait(["--profile", "dev", "--timeout", "10m"])).stderr).toBe(
      'flag error: --timeout: "10m" is not a whole number of seconds (write e.g. --timeout 900)\n',
    );
    expect(urlFlag("https://sso.example.com/")).toBe("https://sso.example.com");
    expect((await wait(["--profile", "dev", "--url", "sso.example.com"])).stderr).toBe(
      'flag error: --url: "sso.example.com" is not Keycloak\'s base URL (write e.g. --url https://sso.example.com)\n',
    );
  });
});
