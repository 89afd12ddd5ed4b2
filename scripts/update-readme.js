#!/usr/bin/env node
// Rewrites the README's configuration table from the field declarations (src/config/fields.ts), through the
// compiled code: run `npm run build` first (`npm run docs` does both).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { withConfigTable } = require("../dist/src/config/readme");

const readme = path.join(__dirname, "..", "README.md");
fs.writeFileSync(readme, withConfigTable(fs.readFileSync(readme, "utf8")));
