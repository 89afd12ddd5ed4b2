import * as fs from "node:fs";
import * as path from "node:path";
import { BootHarness, MEMORY_SCRIPT } from "./harness";

/**
 * The memory script (src/boot/files/keycloak-memory.sh), which keycloak.service runs before every start. Its
 * arithmetic is one pure function, memory_plan, checked here on a table of 1, 2, 4 and 8 GiB instances.
 */
describe("memory script", () => {
  let boot: BootHarness;
  beforeEach(() => {
    boot = new BootHarness();
  });
  afterEach(() => boot.remove());

  // Every plan the tables below ask for, computed by one run of the script's function (a bash start per row
  // would dominate the suite's time).
  const ASKED = [
    ...[927, 1904, 3808, 7763].flatMap((mem) => [mem > 2048 ? 0 : 2048, 0].map((swap) => [mem, swap])),
  ].flatMap(([mem, swap]) => ["production", "dev"].map((profile) => `${mem} ${swap} ${profile}`));
  const plans = new Map<string, { container: number; withSwap: number; heap: number }>();
  beforeAll(() => {
    const harness = new BootHarness();
    try {
      const script = ASKED.map((args) => `printf '%s ' ${args}; memory_plan ${args}; echo`).join("\n");
      const { code, stdout, output } = harness.run(script, {}, MEMORY_SCRIPT);
      if (code !== 0) throw new Error(output);
      for (const line of stdout.trim().split("\n")) {
        const [mem, swap, profile, container, withSwap, heap] = line.trim().split(/\s+/);
        plans.set(`${mem} ${swap} ${profile}`, {
          container: Number(container),
          withSwap: Number(withSwap),
          heap: Number(heap),
        });
      }
    } finally {
      harness.remove();
    }
  }, 60_000);

  const plan = (memoryMib: number, swapMib: number, profile: string) => {
    const found = plans.get(`${memoryMib} ${swapMib} ${profile}`);
    if (!found) throw new Error(`add ${memoryMib} ${swapMib} ${profile} to ASKED`);
    return found;
  };

  // MemTotal as Amazon Linux shows it for 1, 2, 4 and 8 GiB types; the swap the boot gives 2 GiB or less.
  // Reserved: 384 MiB for the OS, the SSM agent and Docker, plus 256 MiB for PostgreSQL in production.
  it.each([
    // type    MemTotal swap  profile        container  with swap  heap
    ["1 GiB", 927, 2048, "production", 768, 2816, 448],
    ["2 GiB", 1904, 2048, "production", 948, 2996, 628],
    ["4 GiB", 3808, 0, "production", 2376, 2376, 1663],
    ["8 GiB", 7763, 0, "production", 5342, 5342, 3739],
    ["1 GiB", 927, 2048, "dev", 768, 2816, 448],
    ["2 GiB", 1904, 2048, "dev", 1140, 3188, 798],
    ["4 GiB", 3808, 0, "dev", 2568, 2568, 1797],
    ["8 GiB", 7763, 0, "dev", 5534, 5534, 3873],
  ])(
    "%s (%i MiB, %i MiB swap), %s: container %i MiB (%i with swap), heap %i MiB",
    (_t, mem, swap, profile, container, withSwap, heap) => {
      expect(plan(mem, swap, profile)).toEqual({ container, withSwap, heap });
    },
  );

  it.each([
    [927, 2048, "production"],
    [1904, 2048, "production"],
    [3808, 0, "production"],
    [7763, 0, "production"],
    [1904, 2048, "dev"],
  ])("leaves the non-heap its 320 MiB and never gives the heap more than 70 %% (%i MiB, %s)", (mem, swap, profile) => {
    const { container, heap } = plan(mem, swap, profile);
    expect(container - heap).toBeGreaterThanOrEqual(320);
    expect(heap).toBeLessThanOrEqual(container * 0.7);
  });

  it.each([
    [1904, "production"],
    [3808, "production"],
    [7763, "production"],
    [1904, "dev"],
  ])(
    "fits Keycloak, PostgreSQL, Docker, the SSM agent and the OS in memory with at least 15 %% to spare from 2 GiB up (%i MiB, %s)",
    (mem, profile) => {
      const { container } = plan(mem, 0, profile);
      const others = 384 + (profile === "production" ? 256 : 0);
      expect(mem - container - others).toBeGreaterThanOrEqual(mem * 0.15);
    },
  );

  it("keeps Keycloak's minimum on 1 GiB, where the swap file holds what memory does not", () => {
    const { container, withSwap } = plan(927, 2048, "production");
    expect(container).toBe(768);
    expect(withSwap - container).toBe(2048);
    expect(container + 384 + 256).toBeLessThan(927 + 2048);
  });

  const memoryEnv = () => fs.readFileSync(path.join(boot.root, "run/keycloak-ec2/memory.env"), "utf8");

  it("writes the unit's memory file from /proc/meminfo, as systemd reads it", () => {
    // GIVEN a 2 GiB instance with the boot's swap file
    boot.setMemory(1_950_000, 2_097_148);
    // WHEN keycloak.service starts (ExecStartPre)
    const { code, output } = boot.runScript(MEMORY_SCRIPT, ["production"]);
    // THEN
    expect(code).toBe(0);
    expect(memoryEnv()).toBe(
      'KEYCLOAK_MEMORY=948m\nKEYCLOAK_MEMORY_SWAP=2995m\nJAVA_OPTS_KC_HEAP="-Xms314m -Xmx628m"\n',
    );
    expect(output).toContain(
      "1904 MiB of memory and 2047 MiB of swap: Keycloak's container gets 948 MiB (2995 MiB with swap), its heap at most 628 MiB",
    );
  });

  it("sizes again at the next start after a change of instance type", () => {
    boot.setMemory(1_950_000, 2_097_148);
    expect(boot.runScript(MEMORY_SCRIPT, ["production"]).code).toBe(0);
    // GIVEN the instance stopped, its type changed to 8 GiB (the swap file stays)
    boot.setMemory(7_950_000, 2_097_148);
    // WHEN it starts again
    expect(boot.runScript(MEMORY_SCRIPT, ["production"]).code).toBe(0);
    // THEN
    expect(memoryEnv()).toMatch(
      /^KEYCLOAK_MEMORY=5342m\nKEYCLOAK_MEMORY_SWAP=7389m\nJAVA_OPTS_KC_HEAP="-Xms1869m -Xmx3739m"\n$/,
    );
  });

  it("gives bash and systemd the heap options as one value", () => {
    boot.setMemory(3_900_000);
    expect(boot.runScript(MEMORY_SCRIPT, ["dev"]).code).toBe(0);
    const file = path.join(boot.root, "run/keycloak-ec2/memory.env");
    expect(
      boot.run(`set -a; . "${file}"; printf '%s|' "$JAVA_OPTS_KC_HEAP" "$KEYCLOAK_MEMORY"`, {}, "/dev/null").stdout,
    ).toBe("-Xms898m -Xmx1797m|2568m|");
  });

  it("refuses an unknown profile, writing nothing", () => {
    const { code, output } = boot.runScript(MEMORY_SCRIPT, ["article"]);
    expect(code).toBe(2);
    expect(output).toContain("unknown profile article");
    expect(fs.existsSync(path.join(boot.root, "run/keycloak-ec2/memory.env"))).toBe(false);
  });
});
