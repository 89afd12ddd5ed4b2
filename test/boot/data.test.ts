import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BootHarness, DATA_SCRIPT } from "./harness";

const VOLUME = "vol-0123456789abcdef0";
const SETTINGS = { DATA_VOLUME_ID: VOLUME, DATA_DEVICE: "/dev/sdf" };
const BIND = "none bind,nofail,x-systemd.requires-mounts-for=$ROOT/srv/keycloak-ec2 0 0";

const mode = (file: string) => {
  const stat = fs.statSync(file);
  return `${(stat.mode & 0o777).toString(8)} ${stat.uid}:${stat.gid}`;
};
const uid = (user: string) => execFileSync("id", ["-u", user], { encoding: "utf8" }).trim();
const gid = (user: string) => execFileSync("id", ["-g", user], { encoding: "utf8" }).trim();

/** The boot's data-volume functions (keycloak-data.sh) against the stubbed disk commands: devices are files. */
describe("data volume: set-up on stubbed disks", () => {
  let boot: BootHarness;
  let root: string;
  beforeEach(() => {
    boot = new BootHarness(SETTINGS);
    root = boot.root;
  });
  afterEach(() => boot.remove());

  // A short wait by default: a test that forgets to attach the volume fails in seconds, not in 10 minutes.
  const run = (commands = "setup_data_volume", env: Record<string, string> = {}) =>
    boot.run(commands, { KEYCLOAK_EC2_DEVICE_WAIT: "2", KEYCLOAK_EC2_DEVICE_POLL: "1", ...env }, DATA_SCRIPT);
  const fstab = () => fs.readFileSync(`${root}/etc/fstab`, "utf8").split(root).join("$ROOT");
  /** The calls that act: what blkid/mountpoint ask is left out. */
  const actions = () => boot.calls().filter((call) => !call.startsWith("mountpoint "));
  const dropIn = (unit: string) =>
    fs.readFileSync(`${root}/etc/systemd/system/${unit}.d/keycloak-ec2-data.conf`, "utf8").split(root).join("$ROOT");

  it("formats a blank volume, mounts it by UUID, binds its directories where the boot writes, and says so", () => {
    // GIVEN a blank volume attached to a Nitro instance
    const device = boot.attachDataVolume(VOLUME);
    // WHEN
    const { code, output } = run();
    // THEN
    expect(code).toBe(0);
    expect(output).toContain(`the data volume ${VOLUME} (${root}/data-volume.img) is blank: making an XFS filesystem`);
    expect(actions()).toEqual([
      "blkid -p -o export $ROOT/data-volume.img",
      "mkfs.xfs -q -L keycloak-ec2 $ROOT/data-volume.img",
      "udevadm settle --timeout=30",
      "blkid -p -o export $ROOT/data-volume.img",
      // fstab changed: systemd reads it before the mount, or an old mount unit could undo the mount
      "systemctl daemon-reload",
      "mount -t xfs -o noatime $ROOT/data-volume.img $ROOT/srv/keycloak-ec2",
      "xfs_growfs -d $ROOT/srv/keycloak-ec2",
      "mount --bind $ROOT/srv/keycloak-ec2/pgsql $ROOT/var/lib/pgsql",
      "mount --bind $ROOT/srv/keycloak-ec2/state $ROOT/var/lib/keycloak-ec2",
      "mount --bind $ROOT/srv/keycloak-ec2/tls $ROOT/etc/keycloak-ec2/tls",
      "systemctl daemon-reload",
    ]);
    const uuid = /^UUID=(.*)$/m.exec(boot.stubState(`disks/${device.replace(/\//g, "_")}`))![1];
    expect(fstab()).toBe(
      [
        "UUID=0000 / xfs defaults,noatime 1 1",
        `UUID=${uuid} $ROOT/srv/keycloak-ec2 xfs defaults,nofail,noatime 0 2`,
        `$ROOT/srv/keycloak-ec2/pgsql $ROOT/var/lib/pgsql ${BIND}`,
        `$ROOT/srv/keycloak-ec2/state $ROOT/var/lib/keycloak-ec2 ${BIND}`,
        `$ROOT/srv/keycloak-ec2/tls $ROOT/etc/keycloak-ec2/tls ${BIND}`,
        "",
      ].join("\n"),
    );
    const data = `${root}/srv/keycloak-ec2`;
    expect(mode(`${data}/pgsql`)).toBe(`700 ${uid("postgres")}:${gid("postgres")}`);
    expect(mode(`${data}/state`)).toBe("700 0:0");
    expect(mode(`${data}/tls`)).toBe("755 0:0");
    expect(mode(`${data}/caddy`)).toBe("700 0:0");
    expect(mode(`${data}/backups`)).toBe("700 0:0");
    expect(fs.existsSync(`${data}/keycloak`)).toBe(false);
    expect(dropIn("postgresql.service")).toBe(
      "# Written by keycloak-ec2: never start on the root volume while the data volume is missing.\n" +
        "[Unit]\nRequiresMountsFor=$ROOT/var/lib/pgsql $ROOT/srv/keycloak-ec2\n",
    );
    expect(dropIn("keycloak.service")).toContain(
      "[Unit]\nRequiresMountsFor=$ROOT/srv/keycloak-ec2 $ROOT/var/lib/keycloak-ec2\n",
    );
    // The proxy: its storage (ACME account, certificates) and the boot's certificate files.
    expect(dropIn("caddy.service")).toContain(
      "[Unit]\nRequiresMountsFor=$ROOT/srv/keycloak-ec2 $ROOT/etc/keycloak-ec2/tls\n",
    );
    expect(output).toContain(`the data volume ${VOLUME} is mounted at ${data}`);
  });

  it("changes nothing on a second run: no mkfs, no mount, no reload, the same fstab without duplicates", () => {
    boot.attachDataVolume(VOLUME);
    expect(run().code).toBe(0);
    const before = { fstab: fstab(), files: boot.snapshot() };
    boot.clearCalls();
    // WHEN
    const again = run();
    // THEN
    expect(again.code).toBe(0);
    // Growing the filesystem to the volume's size is a no-op when they match.
    expect(actions()).toEqual(["blkid -p -o export $ROOT/data-volume.img", "xfs_growfs -d $ROOT/srv/keycloak-ec2"]);
    expect(fstab()).toBe(before.fstab);
    expect(boot.snapshot()).toEqual(before.files);
    expect(again.output).not.toMatch(/fstab:|mounting|binding|moving/);
  });

  it("gives the dev profile keycloak/ for the container's /opt/keycloak/data (uid 1000, group 0), no pgsql/", () => {
    boot.writeSettings({ ...SETTINGS, PROFILE: "dev" });
    boot.attachDataVolume(VOLUME);
    expect(run().code).toBe(0);
    expect(mode(`${root}/srv/keycloak-ec2/keycloak`)).toBe("770 1000:0");
    expect(fs.existsSync(`${root}/srv/keycloak-ec2/pgsql`)).toBe(false);
    expect(fstab()).not.toContain("pgsql");
    expect(fs.existsSync(`${root}/etc/systemd/system/postgresql.service.d`)).toBe(false);
    expect(actions().filter((call) => call.startsWith("mount --bind"))).toHaveLength(2);
  });

  it.each([
    ["/dev/sdf as /dev/xvdf (Xen)", "/dev/sdf", "xvdf"],
    ["/dev/sdf as itself", "/dev/sdf", "sdf"],
    ["/dev/xvdg as /dev/sdg", "/dev/xvdg", "sdg"],
  ])("finds the volume without its NVMe name: %s", (_name, attachment, shown) => {
    boot.writeSettings({ ...SETTINGS, DATA_DEVICE: attachment });
    fs.mkdirSync(`${root}/dev`);
    fs.writeFileSync(`${root}/dev/${shown}`, "");
    fs.truncateSync(`${root}/dev/${shown}`, 1 << 20);
    expect(run().code).toBe(0);
    expect(actions()).toContain(`mount -t xfs -o noatime $ROOT/dev/${shown} $ROOT/srv/keycloak-ec2`);
  });

  it("waits for an attachment that comes late, logging while it waits", () => {
    // `sleep` attaches the volume, as Terraform does a little after the instance starts.
    const byId = `${root}/dev/disk/by-id`;
    const { code, output } = run(
      `sleep() { mkdir -p ${byId}; ln -sf ${root}/data-volume.img ${byId}/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0; }\n` +
        `truncate -s 1M ${root}/data-volume.img; setup_data_volume`,
    );
    expect(code).toBe(0);
    expect(output).toContain(`waiting for the data volume ${VOLUME} to be attached (0 s)`);
    expect(output).toContain(`the data volume ${VOLUME} is mounted at`);
  });

  it("logs every 30 s while it waits, and fails clearly when the volume never comes", () => {
    // GIVEN no volume, and a clock that `sleep` sets 10 s on (absolute, so that a slow machine's real seconds do
    // not add up between the calls)
    const { code, output } = run(
      "SECONDS=0; at=0; sleep() { at=$((at + 10)); SECONDS=$at; }; setup_data_volume; echo not reached",
      {
        KEYCLOAK_EC2_DEVICE_WAIT: "95",
      },
    );
    // THEN
    expect(code).toBe(1);
    expect(output.match(/waiting for the data volume .* to be attached \((\d+) s\)/g)).toEqual(
      [0, 30, 60, 90].map((s) => `waiting for the data volume ${VOLUME} to be attached (${s} s)`),
    );
    expect(output).toContain(
      `FAILED: the data volume ${VOLUME} is not attached after 95 s (none of /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0 /dev/xvdf /dev/sdf exists): ` +
        `see its state with aws ec2 describe-volumes --volume-ids ${VOLUME}`,
    );
    expect(output).not.toContain("not reached");
    expect(boot.calls()).toEqual([]);
  });

  it("mounts an ext4 filesystem as it is, never formatting it", () => {
    const device = boot.attachDataVolume(VOLUME);
    boot.setDisk(device, "UUID=6f1c0c2e-1111-4222-8333-944445555666\nTYPE=ext4\nUSAGE=filesystem\n");
    expect(run().code).toBe(0);
    expect(actions()).not.toContainEqual(expect.stringMatching(/^mkfs/));
    expect(actions()).toContain("mount -t ext4 -o noatime $ROOT/data-volume.img $ROOT/srv/keycloak-ec2");
    expect(fstab()).toContain(
      "UUID=6f1c0c2e-1111-4222-8333-944445555666 $ROOT/srv/keycloak-ec2 ext4 defaults,nofail,noatime 0 2\n",
    );
  });

  it.each([
    [
      "a LUKS container",
      "UUID=1d5e0b48-0000-4000-8000-000000000000\nVERSION=2\nTYPE=crypto_LUKS\nUSAGE=crypto\n",
      "holds a crypto_LUKS signature (crypto), not an XFS or ext4 filesystem: refusing to format it (it may hold data)",
    ],
    [
      "a partition table",
      "PTUUID=de7344dc-33b7-5040-95ae-1da8df5e0124\nPTTYPE=gpt\n",
      "holds a gpt partition table, not an XFS or ext4 filesystem: refusing to format it",
    ],
    ["a swap area", "UUID=abc\nTYPE=swap\nUSAGE=other\n", "holds a swap signature (other), not an XFS"],
    ["two signatures blkid cannot choose between", "EXIT=8\n", "blkid cannot tell what the data volume"],
  ])("refuses %s, formatting and mounting nothing", (_name, probe, message) => {
    const device = boot.attachDataVolume(VOLUME);
    boot.setDisk(device, probe);
    const { code, output } = run("setup_data_volume; echo not reached");
    expect(code).toBe(1);
    expect(output).toContain(`FAILED: `);
    expect(output).toContain(message);
    expect(output).not.toContain("not reached");
    expect(actions()).toEqual(["blkid -p -o export $ROOT/data-volume.img"]);
    expect(fstab()).toBe("UUID=0000 / xfs defaults,noatime 1 1\n");
  });

  it("refuses a device without a signature that is not blank (a damaged filesystem is data too)", () => {
    const device = boot.attachDataVolume(VOLUME);
    fs.writeFileSync(device, "XFSB but damaged", { flag: "r+" });
    const { code, output } = run();
    expect(code).toBe(1);
    expect(output).toContain(
      "holds data that blkid does not recognise (its first MiB is not blank): refusing to format it",
    );
    expect(actions()).toEqual(["blkid -p -o export $ROOT/data-volume.img"]);
  });

  it("moves an older install's data from the root volume onto the volume once, stopping what holds it", () => {
    // GIVEN a host set up before the data volume: PostgreSQL's cluster, the boot's state and TLS on the root volume
    boot.attachDataVolume(VOLUME);
    const pg = `${root}/var/lib/pgsql`;
    fs.mkdirSync(`${pg}/data`, { recursive: true });
    fs.writeFileSync(`${pg}/data/PG_VERSION`, "16\n");
    fs.writeFileSync(`${pg}/.psql_history`, "select 1;\n");
    execFileSync("chown", ["-R", "postgres:postgres", pg]);
    fs.chmodSync(`${pg}/data`, 0o700);
    fs.writeFileSync(`${root}/var/lib/keycloak-ec2/applied`, "hash");
    fs.mkdirSync(`${root}/etc/keycloak-ec2/tls`);
    fs.writeFileSync(`${root}/etc/keycloak-ec2/tls/tls.crt`, "certificate");
    fs.mkdirSync(`${root}/stub-state/active`, { recursive: true });
    for (const unit of ["postgresql.service", "keycloak.service"])
      fs.writeFileSync(`${root}/stub-state/active/${unit}`, "");
    // WHEN
    const { code, output } = run();
    // THEN everything is on the volume, with its owners and modes, and no longer on the root volume
    expect(code).toBe(0);
    const data = `${root}/srv/keycloak-ec2`;
    expect(fs.readFileSync(`${data}/pgsql/data/PG_VERSION`, "utf8")).toBe("16\n");
    expect(fs.readFileSync(`${data}/pgsql/.psql_history`, "utf8")).toBe("select 1;\n");
    expect(mode(`${data}/pgsql/data`)).toBe(`700 ${uid("postgres")}:${gid("postgres")}`);
    expect(fs.readFileSync(`${data}/state/applied`, "utf8")).toBe("hash");
    expect(fs.readFileSync(`${data}/tls/tls.crt`, "utf8")).toBe("certificate");
    expect(fs.readdirSync(pg)).toEqual([]);
    expect(fs.readdirSync(`${root}/var/lib/keycloak-ec2`)).toEqual([]);
    expect(fs.readdirSync(data).sort()).toEqual(["backups", "caddy", "pgsql", "state", "tls"]);
    expect(output).toContain(`moving ${pg} onto the data volume (${data}/pgsql)`);
    expect(actions()).toContain("systemctl stop keycloak.service");
    expect(actions()).toContain("systemctl stop postgresql.service");
    // the boot starts them again (setup_postgresql, start_keycloak)

    boot.clearCalls();
    expect(run().output).not.toContain("moving");
  });

  it("copies the dev profile's H2 files from the Docker volume it used, leaving that volume to the operator", () => {
    boot.writeSettings({ ...SETTINGS, PROFILE: "dev" });
    boot.attachDataVolume(VOLUME);
    const docker = `${root}/var/lib/docker/volumes/keycloak-dev-data/_data`;
    fs.mkdirSync(`${docker}/h2`, { recursive: true });
    fs.writeFileSync(`${docker}/h2/keycloakdb.mv.db`, "h2");
    execFileSync("chown", ["-R", "1000:0", docker]);
    expect(run().code).toBe(0);
    expect(fs.readFileSync(`${root}/srv/keycloak-ec2/keycloak/h2/keycloakdb.mv.db`, "utf8")).toBe("h2");
    expect(mode(`${root}/srv/keycloak-ec2/keycloak/h2/keycloakdb.mv.db`)).toMatch(/ 1000:0$/);
    expect(fs.existsSync(`${docker}/h2/keycloakdb.mv.db`)).toBe(true);
  });

  it("leaves the root volume's data alone when the volume holds data already (a replaced instance)", () => {
    const device = boot.attachDataVolume(VOLUME);
    boot.setDisk(device, "UUID=6f1c0c2e-1111-4222-8333-944445555666\nTYPE=xfs\nUSAGE=filesystem\n");
    fs.mkdirSync(`${root}/srv/keycloak-ec2/state`, { recursive: true });
    fs.writeFileSync(`${root}/srv/keycloak-ec2/state/applied`, "from the volume");
    fs.writeFileSync(`${root}/var/lib/keycloak-ec2/applied`, "from the root volume");
    const { code, output } = run();
    expect(code).toBe(0);
    expect(output).toContain(`${root}/srv/keycloak-ec2/state holds data already`);
    expect(fs.readFileSync(`${root}/srv/keycloak-ec2/state/applied`, "utf8")).toBe("from the volume");
    expect(fs.readFileSync(`${root}/var/lib/keycloak-ec2/applied`, "utf8")).toBe("from the root volume");
  });

  it("deletes nothing when the copy fails", () => {
    boot.attachDataVolume(VOLUME);
    fs.writeFileSync(`${root}/var/lib/keycloak-ec2/applied`, "hash");
    // GIVEN a cp that fails half-way
    const { code, output } = run(`cp() { command cp "$@"; return 1; }; setup_data_volume`);
    expect(code).toBe(1);
    expect(output).toContain(
      `FAILED: could not copy ${root}/var/lib/keycloak-ec2 onto the data volume: it is left as it was on the root volume`,
    );
    expect(fs.readFileSync(`${root}/var/lib/keycloak-ec2/applied`, "utf8")).toBe("hash");
    expect(fs.readdirSync(`${root}/srv/keycloak-ec2`)).not.toContain("state.moving");
    expect(fstab()).not.toContain("$ROOT/var/lib/keycloak-ec2");
  });

  it("replaces the fstab lines of another volume (another UUID), keeping the bind lines after the volume's", () => {
    boot.attachDataVolume(VOLUME);
    fs.appendFileSync(
      `${root}/etc/fstab`,
      `UUID=old ${root}/srv/keycloak-ec2 xfs defaults,nofail,noatime 0 2\n` +
        `${root}/srv/keycloak-ec2/state ${root}/var/lib/keycloak-ec2 none bind,nofail,x-systemd.requires-mounts-for=${root}/srv/keycloak-ec2 0 0\n` +
        "/dev/other /mnt/other ext4 defaults 0 2\n",
    );
    expect(run().code).toBe(0);
    const lines = fstab().split("\n");
    expect(lines.filter((line) => line.includes("UUID=old"))).toEqual([]);
    expect(lines.filter((line) => line.includes(" $ROOT/var/lib/keycloak-ec2 "))).toHaveLength(1);
    expect(lines).toContain("/dev/other /mnt/other ext4 defaults 0 2");
    const volumeLine = lines.findIndex((line) => line.includes(" $ROOT/srv/keycloak-ec2 xfs "));
    expect(lines.findIndex((line) => line.includes(BIND))).toBeGreaterThan(volumeLine);
  });

  it("keeps one line per mount point, removing a duplicate of its own", () => {
    boot.attachDataVolume(VOLUME);
    expect(run().code).toBe(0);
    const once = fstab();
    const dataLine = once.split("\n").find((line) => line.includes(" $ROOT/srv/keycloak-ec2 xfs "))!;
    fs.appendFileSync(`${root}/etc/fstab`, `${dataLine.split("$ROOT").join(root)}\n`);
    expect(run().code).toBe(0);
    expect(
      fstab()
        .split("\n")
        .filter((line) => line === dataLine),
    ).toHaveLength(1);
    expect(fstab().split("\n").sort()).toEqual(once.split("\n").sort());
  });

  it("moves nothing from a new instance's empty package directories (an existing volume needs no message)", () => {
    // GIVEN the volume of a previous instance, and the empty /var/lib/pgsql/data that the package makes
    const device = boot.attachDataVolume(VOLUME);
    boot.setDisk(device, "UUID=6f1c0c2e-1111-4222-8333-944445555666\nTYPE=xfs\nUSAGE=filesystem\n");
    fs.mkdirSync(`${root}/srv/keycloak-ec2/pgsql/data`, { recursive: true });
    fs.writeFileSync(`${root}/srv/keycloak-ec2/pgsql/data/PG_VERSION`, "16\n");
    fs.mkdirSync(`${root}/var/lib/pgsql/data`, { recursive: true });
    const { code, output } = run();
    expect(code).toBe(0);
    expect(output).not.toMatch(/holds data already|moving/);
    expect(fs.readFileSync(`${root}/srv/keycloak-ec2/pgsql/data/PG_VERSION`, "utf8")).toBe("16\n");
  });

  it("refuses to go on when DATA_DIR is mounted from another device", () => {
    boot.attachDataVolume(VOLUME);
    const other = `${root}/other.img`;
    fs.writeFileSync(other, "");
    boot.setDisk(other, "UUID=x\nTYPE=xfs\n");
    fs.mkdirSync(`${root}/srv/keycloak-ec2`, { recursive: true });
    fs.writeFileSync(`${root}/stub-state/mounts`, `${root}/srv/keycloak-ec2 ${other}\n`);
    const { code, output } = run();
    expect(code).toBe(1);
    expect(output).toContain(`is mounted from another device than the data volume ${VOLUME}`);
    expect(fstab()).toBe("UUID=0000 / xfs defaults,noatime 1 1\n");
  });

  it("require_data_volume stops the boot when the volume or one of its binds is not mounted", () => {
    const notMounted = run("require_data_volume");
    expect(notMounted.code).toBe(1);
    expect(notMounted.output).toContain(
      `FAILED: ${root}/srv/keycloak-ec2 is not mounted: without the data volume ${VOLUME} the data would be written to the root volume`,
    );
    boot.attachDataVolume(VOLUME);
    expect(run().code).toBe(0);
    // GIVEN the TLS bind gone
    const mounts = fs.readFileSync(`${root}/stub-state/mounts`, "utf8");
    fs.writeFileSync(`${root}/stub-state/mounts`, mounts.replace(/^.*\/etc\/keycloak-ec2\/tls .*\n/m, ""));
    const unbound = run("require_data_volume");
    expect(unbound.code).toBe(1);
    expect(unbound.output).toContain(
      `FAILED: ${root}/etc/keycloak-ec2/tls is not bound to ${root}/srv/keycloak-ec2/tls on the data volume`,
    );
  });

  it("does nothing without a data volume in the settings", () => {
    boot.writeSettings({});
    const { code, output } = run("setup_data_volume; require_data_volume");
    expect(code).toBe(0);
    expect(output).toContain("no data volume in the settings: the data stays on the root volume");
    expect(boot.calls()).toEqual([]);
  });

  it.each([
    [{ DATA_VOLUME_ID: "vol-0123; rm -rf /" }, "DATA_VOLUME_ID=vol-0123; rm -rf / is not an EBS volume id"],
    [{ DATA_DEVICE: "/dev/nvme1n1" }, "DATA_DEVICE=/dev/nvme1n1 is not an EBS device name"],
  ])("refuses settings that are not an EBS volume: %p", (overrides, message) => {
    boot.writeSettings({ ...SETTINGS, ...overrides });
    const { code, output } = run();
    expect(code).toBe(1);
    expect(output).toContain(`FAILED: ${message}`);
  });
});

/**
 * The same functions on a real block device: a file-backed loop device, formatted with the real mkfs.xfs, mounted
 * and bind-mounted under the scratch root. Needs root, losetup and mount (CAP_SYS_ADMIN: a privileged container at
 * least) and xfsprogs (scripts/setup.sh installs it); without them it fails, saying so.
 */
describe("data volume: a real loop device", () => {
  const REAL = ["blkid", "mkfs.xfs", "mount", "mountpoint", "xfs_growfs", "resize2fs"] as const;
  let boot: BootHarness;
  const loops: string[] = [];

  const sh = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: "utf8" });
    if (result.error || result.status !== 0)
      throw new Error(`${command} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr.trim()}`);
    return result.stdout.trim();
  };
  /** A loop device on a new sparse file (XFS needs 300 MB at least). */
  const loopDevice = (name: string): string => {
    const image = path.join(boot.root, `${name}.img`);
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 512 << 20);
    const device = sh("losetup", ["-f", "--show", image]);
    loops.push(device);
    return device;
  };
  const run = (commands = "setup_data_volume") =>
    boot.run(commands, { KEYCLOAK_EC2_DEVICE_WAIT: "2", KEYCLOAK_EC2_DEVICE_POLL: "1" }, DATA_SCRIPT);
  const probe = (device: string, tag: string) => sh("blkid", ["-p", "-s", tag, "-o", "value", device]);
  /** Everything mounted under the scratch root, deepest first. */
  const mountsUnder = (root: string) =>
    fs
      .readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((line) => line.split(" ")[1])
      .filter((target) => target?.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length);
  const unmountAll = (root: string) => {
    for (const target of mountsUnder(root)) sh("umount", [target]);
  };

  beforeAll(() => {
    const missing = ["losetup", "mount", "umount", "mkfs.xfs", "mkfs.ext4", "blkid"].filter(
      (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0,
    );
    if (process.getuid?.() !== 0 || missing.length > 0)
      throw new Error(
        `needs root and ${missing.join(", ") || "nothing else"} (apt-get install xfsprogs, see scripts/setup.sh)`,
      );
    // A loop device can be made and detached: a container needs to be privileged for it.
    const image = path.join(os.tmpdir(), `kc-loop-check-${process.pid}.img`);
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 1 << 20);
    try {
      sh("losetup", ["-d", sh("losetup", ["-f", "--show", image])]);
    } catch (error) {
      throw new Error(
        `needs loop devices and mount (root with CAP_SYS_ADMIN and /dev/loop-control): ${(error as Error).message}`,
      );
    } finally {
      fs.rmSync(image);
    }
  });

  beforeEach(() => {
    boot = new BootHarness(SETTINGS, { realCommands: REAL });
  });

  // Always: unmount (deepest first), detach, then remove the root (never with a mount still in it).
  afterEach(() => {
    const root = boot.root;
    try {
      unmountAll(root);
    } finally {
      for (const device of loops.splice(0)) spawnSync("losetup", ["-d", device]);
    }
    if (mountsUnder(root).length === 0) boot.remove();
  });

  it("grows the filesystem to a volume grown in EBS (a larger dataVolumeSize), keeping its files", () => {
    // GIVEN a volume set up at 512 MiB, with a file on it
    const device = loopDevice("volume");
    boot.attachDataVolume(VOLUME, device);
    expect(run().code).toBe(0);
    const data = `${boot.root}/srv/keycloak-ec2`;
    fs.writeFileSync(`${data}/kept`, "kept");
    const size = () => fs.statfsSync(data).blocks * fs.statfsSync(data).bsize;
    const before = size();
    // WHEN EBS grows it to 1 GiB (the loop device's backing file, re-read), and the boot runs again
    fs.truncateSync(`${boot.root}/volume.img`, 1024 << 20);
    sh("losetup", ["-c", device]);
    const again = run();
    // THEN
    expect(again.code).toBe(0);
    expect(size()).toBeGreaterThan(before + (400 << 20));
    expect(fs.readFileSync(`${data}/kept`, "utf8")).toBe("kept");
  });

  it("formats a blank device once: a second run, and a new instance, keep its filesystem and its files", () => {
    // GIVEN a blank device as the volume, and a root volume with an older install's PostgreSQL data
    const device = loopDevice("volume");
    boot.attachDataVolume(VOLUME, device);
    const root = boot.root;
    fs.mkdirSync(`${root}/var/lib/pgsql/data`, { recursive: true });
    fs.writeFileSync(`${root}/var/lib/pgsql/data/PG_VERSION`, "16\n");
    // WHEN
    const first = run();
    // THEN an XFS filesystem, mounted, its directories bound where the boot writes
    expect(first.output).toContain("making an XFS filesystem");
    expect(first.code).toBe(0);
    expect(probe(device, "TYPE")).toBe("xfs");
    expect(probe(device, "LABEL")).toBe("keycloak-ec2");
    const uuid = probe(device, "UUID");
    const data = `${root}/srv/keycloak-ec2`;
    expect(spawnSync("mountpoint", ["-q", data]).status).toBe(0);
    expect(fs.readFileSync(`${root}/etc/fstab`, "utf8")).toContain(
      `UUID=${uuid} ${data} xfs defaults,nofail,noatime 0 2\n`,
    );
    // the older data is on the volume, and seen at its old path through the bind mount
    expect(fs.readFileSync(`${data}/pgsql/data/PG_VERSION`, "utf8")).toBe("16\n");
    expect(fs.readFileSync(`${root}/var/lib/pgsql/data/PG_VERSION`, "utf8")).toBe("16\n");
    // what the boot writes at its usual paths lands on the volume
    fs.writeFileSync(`${root}/var/lib/keycloak-ec2/applied`, "written in between");
    expect(fs.readFileSync(`${data}/state/applied`, "utf8")).toBe("written in between");
    const fstab = fs.readFileSync(`${root}/etc/fstab`, "utf8");

    // WHEN run again
    boot.clearCalls();
    expect(run().code).toBe(0);
    // THEN
    expect(boot.calls().filter((call) => /^(mkfs|mount )/.test(call))).toEqual([]);
    expect(fs.readFileSync(`${root}/etc/fstab`, "utf8")).toBe(fstab);

    // WHEN the instance is replaced: nothing mounted, the root volume's directories empty
    unmountAll(root);
    expect(fs.readdirSync(`${root}/var/lib/pgsql`)).toEqual([]);
    boot.clearCalls();
    const replaced = run();
    // THEN the same filesystem, mounted again, with its files
    expect(replaced.code).toBe(0);
    expect(boot.calls().filter((call) => call.startsWith("mkfs"))).toEqual([]);
    expect(probe(device, "UUID")).toBe(uuid);
    expect(fs.readFileSync(`${root}/var/lib/keycloak-ec2/applied`, "utf8")).toBe("written in between");
    expect(fs.readFileSync(`${root}/var/lib/pgsql/data/PG_VERSION`, "utf8")).toBe("16\n");
    expect(run("require_data_volume").code).toBe(0);
  });

  it("never formats a device that holds an ext4 filesystem: it mounts it, with its files", () => {
    // GIVEN a volume with an ext4 filesystem and a file on it
    const device = loopDevice("ext4");
    sh("mkfs.ext4", ["-q", "-L", "older", device]);
    const uuid = probe(device, "UUID");
    const scratch = path.join(boot.root, "scratch");
    fs.mkdirSync(scratch);
    sh("mount", [device, scratch]);
    fs.writeFileSync(`${scratch}/kept`, "kept");
    sh("umount", [scratch]);
    boot.attachDataVolume(VOLUME, device);
    // WHEN
    const { code, output } = run();
    // THEN
    expect(output).not.toContain("making an XFS filesystem");
    expect(code).toBe(0);
    expect(boot.calls().filter((call) => call.startsWith("mkfs"))).toEqual([]);
    expect([probe(device, "TYPE"), probe(device, "UUID")]).toEqual(["ext4", uuid]);
    expect(fs.readFileSync(`${boot.root}/srv/keycloak-ec2/kept`, "utf8")).toBe("kept");
    expect(fs.readFileSync(`${boot.root}/etc/fstab`, "utf8")).toContain(
      `UUID=${uuid} ${boot.root}/srv/keycloak-ec2 ext4 defaults,nofail,noatime 0 2\n`,
    );
  });
});
