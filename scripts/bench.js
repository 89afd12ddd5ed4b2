#!/usr/bin/env node
// Times `npm run synth` (the production profile, and the cluster profile with a hostname and zone) and `npx cdktf
// synth` (the two ways to synthesize), alternating so that all see the same machine state, and prints the median wall time and the median and max peak memory (largest process of the run,
// from GNU time's maxrss) of each. Usage: npm run bench [-- RUNS] (default 7 each). Needs /usr/bin/time.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const runs = Number(process.argv[2] ?? 7);
if (!Number.isInteger(runs) || runs < 1) {
  console.error("bench error: RUNS must be a whole number of runs, e.g. npm run bench -- 7");
  process.exit(2);
}
if (!fs.existsSync("/usr/bin/time")) {
  console.error("bench error: /usr/bin/time not found (install it: apt-get install time)");
  process.exit(2);
}

// The cluster needs a hostname and a zone, which no default gives.
const clusterConfig = path.join(os.tmpdir(), `keycloak-ec2-bench-cluster-${process.pid}.json`);
fs.writeFileSync(
  clusterConfig,
  JSON.stringify({
    profile: "cluster",
    keycloak: { hostname: "sso.example.com" },
    dnsZone: "example.com",
    adminCidrs: [],
  }),
);
const commands = {
  "npm run synth": ["npm", "run", "--silent", "synth"],
  "synth (cluster)": ["npm", "run", "--silent", "synth", "--", "--config", clusterConfig],
  // The cdktf CLI asks HashiCorp's checkpoint service for updates on every run; off here, as it would be offline.
  "npx cdktf synth": ["npx", "cdktf", "synth"],
};
const env = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" };
const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
const report = path.join(os.tmpdir(), `keycloak-ec2-bench-${process.pid}`);

for (let i = 0; i < runs; i++) {
  for (const [name, argv] of Object.entries(commands)) {
    const result = spawnSync("/usr/bin/time", ["-f", "%e %M", "-o", report, ...argv], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (result.status !== 0) {
      console.error(`bench error: ${name} failed (exit ${result.status}):\n${result.stderr}`);
      process.exit(1);
    }
    const [seconds, kib] = fs.readFileSync(report, "utf8").trim().split("\n").pop().split(" ").map(Number);
    samples[name].push({ seconds, mib: kib / 1024 });
  }
}
fs.rmSync(report, { force: true });
fs.rmSync(clusterConfig, { force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
console.log(`${runs} runs each, alternating, on ${os.cpus().length} cores (node ${process.version})`);
for (const [name, list] of Object.entries(samples)) {
  const seconds = list.map((s) => s.seconds);
  const mib = list.map((s) => s.mib);
  console.log(
    `${name.padEnd(16)} median ${median(seconds).toFixed(2)} s (min ${Math.min(...seconds).toFixed(2)}, max ${Math.max(...seconds).toFixed(2)}), ` +
      `peak memory median ${median(mib).toFixed(0)} MiB (max ${Math.max(...mib).toFixed(0)} MiB)`,
  );
}
