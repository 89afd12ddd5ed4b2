#!/bin/bash
# keycloak-ec2: sizes Keycloak's container and JVM heap for this machine. keycloak.service runs it before every
# start (ExecStartPre=keycloak-memory.sh dev|production|cluster), so a changed instance type takes effect at the next start
# without a new boot. It writes /run/keycloak-ec2/memory.env, which the unit reads for its ExecStart: systemd reads
# an EnvironmentFile= after the previous unit state ended, "so you can generate these files in one unit state, and
# read it with this option in the next" (systemd.exec(5)).
# On 2 GiB or less it first makes the swap file, which the sizes count: a type changed down (a stop and start, with
# no boot) gets it too. The boot makes it earlier, for the first package installs, with `keycloak-memory.sh swap`.
set -Eeuo pipefail
umask 022

# KEYCLOAK_EC2_ROOT and KEYCLOAK_EC2_MEMINFO relocate the files for the tests; both are unset on the instance.
readonly ROOT=${KEYCLOAK_EC2_ROOT:-}
readonly MEMORY_ENV=$ROOT/run/keycloak-ec2/memory.env
readonly MEMINFO=${KEYCLOAK_EC2_MEMINFO:-/proc/meminfo}
readonly SWAPFILE=$ROOT/swapfile
readonly SWAPFILE_MIB=2048
readonly FSTAB=$ROOT/etc/fstab

# What shares the machine with Keycloak, in MiB.
readonly HOST_MIB=384       # Amazon Linux itself, the SSM agent, dockerd and containerd
readonly POSTGRESQL_MIB=256 # production: shared_buffers (128 MB, set by the boot) and the backends of Keycloak's pool
# Keycloak's container guide: "set the memory limit to at least 750 MB" (docs/design-facts.md §7).
readonly CONTAINER_MIN_MIB=768
# Keycloak's sizing guide: "approximately 300 MB of non-heap-based memory" (section 7).
readonly NON_HEAP_MIB=320

# A /proc/meminfo field (MemTotal, SwapTotal) in MiB.
meminfo_mib() { awk -v field="$1:" '$1 == field { print int($2 / 1024) }' "$MEMINFO"; }

# Instance types of 2 GiB or less (a 1 GiB type shows about 950 MiB, a 2 GiB type about 1900 MiB; the next size up,
# 4 GiB, shows over 3.5 GiB). On 2 GiB Keycloak, PostgreSQL, Docker, the SSM agent and the OS fit with about 300 MiB
# to spare (memory_plan): the swap file takes the spikes (a dnf run, the image build, an SSM session) that would
# otherwise wake the OOM killer; on 1 GiB it holds what does not fit.
needs_swap() { (($(meminfo_mib MemTotal) <= 2048)); }
swap_active() { swapon --show=NAME --noheadings | grep -qxF "$SWAPFILE"; }

# Makes, enables and lists in fstab the 2 GiB swap file when the machine needs it and it is not active yet; nothing
# otherwise. Returns non-zero on the first failure (its callers decide), so each step checks its own status: set -e
# does not apply inside a function run as a condition. A file left short by a failed dd is written again.
ensure_swap() {
  if ! needs_swap || swap_active; then return 0; fi
  echo "keycloak-ec2: 2 GiB of memory or less: adding a $((SWAPFILE_MIB / 1024)) GiB swap file" >&2
  if [[ $(stat -c %s "$SWAPFILE" 2>/dev/null) != $((SWAPFILE_MIB << 20)) ]]; then
    dd if=/dev/zero of="$SWAPFILE" bs=1M count="$SWAPFILE_MIB" status=none || return
  fi
  chmod 600 "$SWAPFILE" || return
  mkswap "$SWAPFILE" >/dev/null || return
  swapon "$SWAPFILE" || return
  awk -v file="$SWAPFILE" '$1 == file { found = 1 } END { exit !found }' "$FSTAB" ||
    echo "$SWAPFILE none swap defaults 0 0" >>"$FSTAB"
}

# The sizes for MEMORY_MIB of memory, SWAP_MIB of swap and a profile, printed as
# "<container limit> <container limit with swap> <maximum heap>", all in MiB:
# - Keycloak's container gets three quarters of what the machine has left once the host (and PostgreSQL in
#   production) are served: the last quarter is headroom, and PostgreSQL's page cache;
# - never under Keycloak's minimum: on a 1 GiB machine the swap file makes up the difference;
# - the container may use the machine's swap, so the kernel can page out its cold pages as well as others';
# - the heap is Keycloak's own default share, 70 % of the container, but leaves the non-heap its room.
memory_plan() {
  local memory=$1 swap=$2 profile=$3
  local reserved=$HOST_MIB container heap
  if [[ $profile == production ]]; then reserved=$((reserved + POSTGRESQL_MIB)); fi
  container=$(((memory - reserved) * 3 / 4))
  if ((container < CONTAINER_MIN_MIB)); then container=$CONTAINER_MIN_MIB; fi
  heap=$((container * 7 / 10))
  if ((heap > container - NON_HEAP_MIB)); then heap=$((container - NON_HEAP_MIB)); fi
  printf '%s %s %s\n' "$container" "$((container + swap))" "$heap"
}

# The unit's environment: the container limits for docker run, and the heap for kc.sh (JAVA_OPTS_KC_HEAP replaces
# its default of 70 % of the container); the initial heap is half the maximum, so a small machine commits less.
memory_env() {
  local container=$1 with_swap=$2 heap=$3
  printf 'KEYCLOAK_MEMORY=%sm\n' "$container"
  printf 'KEYCLOAK_MEMORY_SWAP=%sm\n' "$with_swap"
  printf 'JAVA_OPTS_KC_HEAP="-Xms%sm -Xmx%sm"\n' "$((heap / 2))" "$heap"
}

main() {
  local profile=${1:?usage: keycloak-memory.sh dev|production|cluster|swap}
  # The boot's early step: the swap file alone, a failure stopping the boot.
  if [[ $profile == swap ]]; then
    ensure_swap
    return
  fi
  [[ $profile == dev || $profile == production || $profile == cluster ]] || {
    echo "keycloak-memory.sh: unknown profile $profile (dev, production or cluster)" >&2
    exit 2
  }
  # Before a start, Keycloak sized without swap is better than Keycloak not started (and restarted every 10 s).
  ensure_swap || echo "keycloak-ec2: cannot add the swap file $SWAPFILE: sizing without it" >&2
  local memory swap plan container with_swap heap
  memory=$(meminfo_mib MemTotal)
  swap=$(meminfo_mib SwapTotal)
  plan=$(memory_plan "$memory" "${swap:-0}" "$profile")
  read -r container with_swap heap <<<"$plan"
  echo "keycloak-ec2: ${memory} MiB of memory and ${swap:-0} MiB of swap: Keycloak's container gets ${container} MiB (${with_swap} MiB with swap), its heap at most ${heap} MiB" >&2
  mkdir -p "${MEMORY_ENV%/*}"
  memory_env "$container" "$with_swap" "$heap" >"$MEMORY_ENV.new"
  mv -f "$MEMORY_ENV.new" "$MEMORY_ENV"
}

# Sourced (by the tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
