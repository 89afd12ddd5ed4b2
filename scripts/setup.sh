#!/usr/bin/env bash
# Set-up on a fresh Debian or Ubuntu machine: the Debian tools the tests use for real, then the npm dependencies
# (which also build dist/). Runs as root (apt-get directly) or as a user with sudo. README's "Quick start" and
# .ci/run both call it, so what CI installs is what a newcomer installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# GNU time (bench), shellcheck (boot scripts), PostgreSQL (the boot's database set-up, run against a real server),
# systemd (systemd-analyze verify of the unit), xfsprogs and e2fsprogs (the data volume's set-up, on a loop device),
# caddy and pebble (the reverse proxy's Caddyfile, run against a local ACME CA; the pebble package also brings
# pebble-challtestsrv, its mock DNS).
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
[ -x /usr/bin/time ] || missing+=(time)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
command -v systemd-analyze >/dev/null || missing+=(systemd)
[ -x /usr/sbin/mkfs.xfs ] || missing+=(xfsprogs)
[ -x /usr/sbin/mkfs.ext4 ] || missing+=(e2fsprogs)
command -v caddy >/dev/null || missing+=(caddy)
command -v pebble-challtestsrv >/dev/null || missing+=(pebble)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "setup error: installing ${missing[*]} needs root: run this as root, or install sudo" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
