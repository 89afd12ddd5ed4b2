#!/usr/bin/env node
// Regenerates src/aws/aws-names.json (the region and instance type names that config validation accepts)
// from AWS's own SDK packages, so the lists are AWS's and not typed by hand:
//   - instance types: the `_InstanceType` enum of @aws-sdk/client-ec2 (the EC2 API model);
//   - regions: the partitions table of @aws-sdk/core (commercial, China, GovCloud and European Sovereign Cloud).
// Usage: node scripts/update-aws-names.js   (needs the npm registry; writes only the JSON file)
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-eusc"];

function unpack(pkg, dir) {
  const tgz = execFileSync("npm", ["pack", pkg, "--silent"], { cwd: dir, encoding: "utf8" }).trim().split("\n").pop();
  const target = path.join(dir, tgz.replace(/\.tgz$/, ""));
  fs.mkdirSync(target);
  execFileSync("tar", ["xzf", path.join(dir, tgz), "-C", target]);
  return {
    dir: path.join(target, "package"),
    version: JSON.parse(fs.readFileSync(path.join(target, "package", "package.json"))).version,
  };
}

function objectLiteralAfter(source, marker) {
  const start = source.indexOf("{", source.indexOf(marker));
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    if (source[i] === "{") depth++;
    else if (source[i] === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`no object after ${marker}`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "aws-names-"));
const ec2 = unpack("@aws-sdk/client-ec2", work);
const core = unpack("@aws-sdk/core", work);

const ec2Source = fs.readFileSync(path.join(ec2.dir, "dist-cjs", "index.js"), "utf8");
const instanceTypes = [
  ...objectLiteralAfter(ec2Source, "const _InstanceType = ").matchAll(/:\s*"([a-z0-9-]+\.[a-z0-9-]+)"/g),
].map((m) => m[1]);

const coreSource = fs.readFileSync(path.join(core.dir, "dist-cjs", "submodules", "client", "index.js"), "utf8");
const partitionsStart = coreSource.lastIndexOf("{", coreSource.indexOf('"partitions"'));
const partitions = JSON.parse(objectLiteralAfter(coreSource.slice(partitionsStart), "{")).partitions;
const regions = partitions
  .filter((p) => PARTITIONS.includes(p.id))
  .flatMap((p) => Object.keys(p.regions).filter((r) => !r.endsWith("-global")));

const out = {
  source: `@aws-sdk/client-ec2@${ec2.version} (InstanceType enum), @aws-sdk/core@${core.version} (partitions ${PARTITIONS.join(", ")}); regenerate with scripts/update-aws-names.js`,
  regions: [...new Set(regions)].sort(),
  instanceTypes: [...new Set(instanceTypes)].sort(),
};
fs.writeFileSync(path.join(__dirname, "..", "src", "aws", "aws-names.json"), JSON.stringify(out, null, 1) + "\n");
fs.rmSync(work, { recursive: true, force: true });
console.log(`${out.regions.length} regions, ${out.instanceTypes.length} instance types`);
