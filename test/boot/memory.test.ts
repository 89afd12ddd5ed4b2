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
  /** The machine's memory, with the swap file active (listed by swapon --show) and counted in /proc/meminfo. */
  const withSwapFile = (kib: number) => {
    boot.setMemory(kib, 2_097_148);
    fs.writeFileSync(path.join(boot.root, "stub-state/swaps"), `${boot.root}/swapfile\n`);
  };

  it("writes the unit's memory file from /proc/meminfo, as systemd reads it", () => {
    // GIVEN a 2 GiB instance with its swap file
    withSwapFile(1_950_000);
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
    withSwapFile(1_950_000);
    expect(boot.runScript(MEMORY_SCRIPT, ["production"]).code).toBe(0);
    // GIVEN the instance stopped, its type changed to 8 GiB (the swap file stays)
    withSwapFile(7_950_000);
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
    expect(boot.calls()).toEqual([]);
  });
});

/**
 * The swap file of instances of 2 GiB or less. The memory script makes it before it sizes, at every start of
 * keycloak.service, so an instance whose type was changed down (a stop and start, with no boot) has it; the boot runs
 * the same code early (`keycloak-memory.sh swap`), so the first package installs and image build have it too.
 */
describe("memory script: swap file", () => {
  let boot: BootHarness;
  beforeEach(() => {
    boot = new BootHarness();
  });
  afterEach(() => boot.remove());

  const memoryEnv = () => fs.readFileSync(path.join(boot.root, "run/keycloak-ec2/memory.env"), "utf8");
  const fstabSwapLines = () => fs.readFileSync(`${boot.root}/etc/fstab`, "utf8").match(/swapfile/g) ?? [];
  const MADE = [
    "swapon --show=NAME --noheadings",
    "dd if=/dev/zero of=$ROOT/swapfile bs=1M count=2048 status=none",
    "mkswap $ROOT/swapfile",
    "swapon $ROOT/swapfile",
  ];

  it("adds the swap file before sizing on 1 GiB without one (a type changed down), and counts it", () => {
    // GIVEN a 1 GiB instance that started without swap: its type was changed down, which runs no boot
    boot.setMemory(950_000);
    // WHEN keycloak.service starts (ExecStartPre)
    const { code, output } = boot.runScript(MEMORY_SCRIPT, ["production"]);
    // THEN the swap file is made, as the boot makes it, and the plan counts its 2 GiB
    expect(code).toBe(0);
    expect(boot.calls()).toEqual(MADE);
    expect(fs.statSync(`${boot.root}/swapfile`).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${boot.root}/etc/fstab`, "utf8")).toContain(
      `\n${boot.root}/swapfile none swap defaults 0 0\n`,
    );
    expect(memoryEnv()).toBe(
      'KEYCLOAK_MEMORY=768m\nKEYCLOAK_MEMORY_SWAP=2816m\nJAVA_OPTS_KC_HEAP="-Xms224m -Xmx448m"\n',
    );
    expect(output).toContain("927 MiB of memory and 2048 MiB of swap");
  });

  it("adds nothing at the next start, the swap file active", () => {
    boot.setMemory(950_000);
    expect(boot.runScript(MEMORY_SCRIPT, ["production"]).code).toBe(0);
    const first = memoryEnv();
    // GIVEN the swap file made at a first start
    boot.clearCalls();
    // WHEN keycloak.service starts again
    expect(boot.runScript(MEMORY_SCRIPT, ["production"]).code).toBe(0);
    // THEN it is only looked for
    expect(boot.calls()).toEqual(["swapon --show=NAME --noheadings"]);
    expect(fstabSwapLines()).toHaveLength(1);
    expect(memoryEnv()).toBe(first);
  });

  // 2 GiB is 2 097 152 kB: a 2 GiB type shows less (about 1 950 000), a 4 GiB type about 3 900 000.
  it.each([
    ["a 1 GiB type", 950_000, true],
    ["a 2 GiB type", 1_950_000, true],
    ["exactly 2 GiB", 2_097_152, true],
    ["just over 2 GiB", 2_098_176, false],
    ["a 4 GiB type", 3_900_000, false],
  ])("%s (%i kB): `keycloak-memory.sh swap` adds a swap file: %p, and sizes nothing", (_name, kib, swap) => {
    boot.setMemory(kib);
    expect(boot.runScript(MEMORY_SCRIPT, ["swap"]).code).toBe(0);
    expect(boot.calls()).toEqual(swap ? MADE : []);
    expect(fstabSwapLines()).toHaveLength(swap ? 1 : 0);
    expect(fs.existsSync(path.join(boot.root, "run/keycloak-ec2/memory.env"))).toBe(false);
  });

  it("`keycloak-memory.sh swap` fails when the file cannot be made, for the boot to stop", () => {
    boot.setMemory(950_000);
    boot.failNext("dd", 1);
    const { code, output } = boot.runScript(MEMORY_SCRIPT, ["swap"]);
    expect(code).not.toBe(0);
    expect(output).toContain("No space left on device");
    expect(boot.calls().filter((call) => call.startsWith("swapon $ROOT"))).toEqual([]);
  });

  it("starts without swap when the file cannot be made, saying so, and makes it whole at the next start", () => {
    // GIVEN a root volume too full for the swap file
    boot.setMemory(950_000);
    boot.failNext("dd", 1);
    // WHEN keycloak.service starts
    const { code, output } = boot.runScript(MEMORY_SCRIPT, ["production"]);
    // THEN Keycloak is sized without swap rather than not started
    expect(code).toBe(0);
    expect(output).toContain("cannot add the swap file");
    expect(memoryEnv()).toMatch(/^KEYCLOAK_MEMORY=768m\nKEYCLOAK_MEMORY_SWAP=768m\n/);
    expect(fstabSwapLines()).toHaveLength(0);
    // AND the next start writes the partial file again, whole
    boot.clearCalls();
    expect(boot.runScript(MEMORY_SCRIPT, ["production"]).code).toBe(0);
    expect(boot.calls()).toEqual(MADE);
    expect(fs.statSync(`${boot.root}/swapfile`).size).toBe(2048 * 1024 * 1024);
    expect(memoryEnv()).toMatch(/^KEYCLOAK_MEMORY=768m\nKEYCLOAK_MEMORY_SWAP=2816m\n/);
  });
});
