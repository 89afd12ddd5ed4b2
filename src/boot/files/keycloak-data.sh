#!/bin/bash
# keycloak-ec2: the data volume, sourced by keycloak-boot.sh. What must outlive the instance (PostgreSQL's cluster,
# the dev profile's H2 files, the TLS material, the proxy's ACME account and certificates, the boot's state, local
# backups) lives on a separate EBS volume
# mounted at /srv/keycloak-ec2, and its directories are bind-mounted where PostgreSQL and the boot read and write
# them: a replaced instance finds everything again. Safe to repeat: a second run changes nothing.
set -Eeuo pipefail

# Sourced after keycloak-common.sh by the boot, on its own by the tests: common defines read-only variables once.
# shellcheck source=keycloak-common.sh
if [[ ! -v CONF_DIR ]]; then . "$(dirname "${BASH_SOURCE[0]}")/keycloak-common.sh"; fi

[[ -v DATA_DIR ]] || readonly DATA_DIR=$ROOT/srv/keycloak-ec2
# XFS labels have 12 characters at most.
readonly DATA_LABEL=keycloak-ec2
readonly PG_HOME=$ROOT/var/lib/pgsql
# Where the dev profile kept its H2 files before the data volume: the Docker volume keycloak-dev-data.
readonly DOCKER_DEV_DATA=$ROOT/var/lib/docker/volumes/keycloak-dev-data/_data
readonly DEVICE_WAIT=${KEYCLOAK_EC2_DEVICE_WAIT:-600}
readonly DEVICE_POLL=${KEYCLOAK_EC2_DEVICE_POLL:-5}

# The names the volume's device may have. Nitro instances show it as NVMe, named after the volume id (udev's by-id
# link); Xen ones (t2) show the attachment's /dev/sdf as /dev/xvdf, or as /dev/sdf. $ROOT/dev is /dev but in tests.
data_device_candidates() {
  local name=${DATA_DEVICE:-}
  name=${name#/dev/}
  printf '%s\n' "$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${DATA_VOLUME_ID//-/}"
  case $name in
    "") ;;
    sd*) printf '%s\n' "$ROOT/dev/xvd${name#sd}" "$ROOT/dev/$name" ;;
    xvd*) printf '%s\n' "$ROOT/dev/$name" "$ROOT/dev/sd${name#xvd}" ;;
  esac
}

# Sets DATA_DEV to the volume's device if one of its names exists.
find_data_device() {
  local candidate
  for candidate in "${DATA_DEVICE_CANDIDATES[@]}"; do
    if [[ -e $candidate ]]; then
      DATA_DEV=$(readlink -f "$candidate")
      return 0
    fi
  done
  return 1
}
report_data_device() { log "waiting for the data volume $DATA_VOLUME_ID to be attached ($1 s)"; }

# Sets DATA_DEV to the volume's device. Terraform attaches the volume once the instance runs, so the first boot may
# get here first: it waits DEVICE_WAIT seconds at most.
wait_for_data_device() {
  mapfile -t DATA_DEVICE_CANDIDATES < <(data_device_candidates)
  poll_until "$DEVICE_WAIT" "$DEVICE_POLL" report_data_device find_data_device ||
    fail "the data volume $DATA_VOLUME_ID is not attached after $DEVICE_WAIT s (none of ${DATA_DEVICE_CANDIDATES[*]#"$ROOT"} exists): see its state with aws ec2 describe-volumes --volume-ids $DATA_VOLUME_ID"
}

# blkid's finding on the device (KEY=value lines) in DATA_PROBE; its exit code in DATA_PROBE_STATUS: 2 is nothing
# found, but also a device it could not read.
probe_data_device() {
  DATA_PROBE_STATUS=0
  DATA_PROBE=$(blkid -p -o export "$DATA_DEV") || DATA_PROBE_STATUS=$?
}

# A blank EBS volume reads as zeros. blkid finding nothing is not enough on its own: it says so for a device it cannot
# read, and for data whose first signature is damaged.
require_blank() {
  local nonzero
  nonzero=$(head -c 1048576 "$DATA_DEV" | tr -d '\0' | wc -c) || fail "cannot read the data volume's device $DATA_DEV"
  ((nonzero == 0)) ||
    fail "the data volume $DATA_VOLUME_ID ($DATA_DEV) holds data that blkid does not recognise (its first MiB is not blank): refusing to format it; attach a blank volume, or repair this one by hand"
}

# Sets DATA_FS_TYPE and DATA_UUID. Formats the device only when it is blank; whatever else it holds is never
# formatted over (mkfs.xfs without -f also refuses a device with a signature on its own).
data_filesystem() {
  probe_data_device
  if ((DATA_PROBE_STATUS == 2)); then
    require_blank
    log "the data volume $DATA_VOLUME_ID ($DATA_DEV) is blank: making an XFS filesystem"
    command -v mkfs.xfs >/dev/null || retry dnf install -y -q xfsprogs
    mkfs.xfs -q -L "$DATA_LABEL" "$DATA_DEV"
    # udev makes the by-uuid link systemd's mount unit waits for; the mount below must not come before it.
    udevadm settle --timeout=30 || true
    probe_data_device
  fi
  ((DATA_PROBE_STATUS == 0)) ||
    fail "blkid cannot tell what the data volume $DATA_VOLUME_ID ($DATA_DEV) holds (exit $DATA_PROBE_STATUS): refusing to format or mount it"
  local key value type="" uuid="" usage="" pttype=""
  while IFS='=' read -r key value; do
    case $key in
      TYPE) type=$value ;;
      UUID) uuid=$value ;;
      USAGE) usage=$value ;;
      PTTYPE) pttype=$value ;;
    esac
  done <<<"$DATA_PROBE"
  if [[ $type =~ ^(xfs|ext4)$ && -n $uuid && -z $pttype ]]; then
    DATA_FS_TYPE=$type
    DATA_UUID=$uuid
    return 0
  fi
  local found=${type:+a $type signature${usage:+ ($usage)}}
  if [[ -n $pttype ]]; then found+="${found:+ and }a $pttype partition table"; fi
  fail "the data volume $DATA_VOLUME_ID ($DATA_DEV) holds ${found:-no filesystem UUID}, not an XFS or ext4 filesystem: refusing to format it (it may hold data); attach a blank volume or one with the filesystem of a previous instance"
}

# Makes $2 the fstab line of mount point $1, once: it replaces an older line for $1 (another volume's UUID) and drops
# the bind lines that depend on $1, which the caller adds again after it.
fstab_entry() {
  local target=$1 line=$2
  if [[ $(awk -v target="$target" '!/^[[:space:]]*#/ && $2 == target' "$FSTAB") == "$line" ]]; then return 0; fi
  log "fstab: $line"
  awk -v target="$target" '/^[[:space:]]*#/ { print; next } {
    n = split($4, options, ",")
    for (i = 1; i <= n; i++) if (options[i] == "x-systemd.requires-mounts-for=" target) next
  } $2 != target' "$FSTAB" >"$FSTAB.keycloak-ec2"
  printf '%s\n' "$line" >>"$FSTAB.keycloak-ec2"
  chmod --reference="$FSTAB" "$FSTAB.keycloak-ec2"
  mv -f "$FSTAB.keycloak-ec2" "$FSTAB"
  DATA_RELOAD=1
}

# Lets systemd read a changed fstab or drop-in. Before a mount too: a mount unit left from an older fstab line can
# unmount at once a filesystem mounted by hand whose device it does not know.
reload_if_changed() {
  if [[ -n ${DATA_RELOAD:-} ]]; then systemctl daemon-reload; fi
  DATA_RELOAD=""
}

# Mounts the volume at DATA_DIR by UUID (a volume restored from a snapshot keeps it); nofail: a boot without the
# volume still comes up, reachable with SSM, and PostgreSQL and Keycloak wait for it (their drop-ins).
mount_data_volume() {
  if mountpoint -q "$DATA_DIR" && [[ $(mountpoint -d "$DATA_DIR") != "$(mountpoint -x "$DATA_DEV")" ]]; then
    fail "$DATA_DIR is mounted from another device than the data volume $DATA_VOLUME_ID ($DATA_DEV): unmount it, or attach the right volume"
  fi
  fstab_entry "$DATA_DIR" "UUID=$DATA_UUID $DATA_DIR $DATA_FS_TYPE defaults,nofail,noatime 0 2"
  if mountpoint -q "$DATA_DIR"; then return 0; fi
  install -d -m 0755 "$DATA_DIR"
  reload_if_changed
  log "mounting the data volume $DATA_VOLUME_ID ($DATA_DEV, $DATA_FS_TYPE, UUID $DATA_UUID) at $DATA_DIR"
  mount -t "$DATA_FS_TYPE" -o noatime "$DATA_DEV" "$DATA_DIR"
}

# A volume grown in EBS (a larger dataVolumeSize) keeps its filesystem's size until told: a no-op otherwise.
grow_data_filesystem() {
  case $DATA_FS_TYPE in
    xfs) xfs_growfs -d "$DATA_DIR" >/dev/null ;;
    ext4) resize2fs "$DATA_DEV" >/dev/null 2>&1 ;;
  esac
}

# The volume's directories bind-mounted elsewhere, as NAME TARGET lines.
data_binds() {
  if [[ $PROFILE == production ]]; then printf '%s %s\n' pgsql "$PG_HOME"; fi
  printf '%s %s\n' state "$STATE_DIR" tls "$TLS_DIR"
}

# Whether directory $1 holds any file (empty directories, such as the ones a package makes, do not count).
has_files() { [[ -d $1 && -n $(find "$1" -mindepth 1 ! -type d -print -quit) ]]; }

# A host set up before the data volume existed keeps its data on the root volume, at $1: this moves it into the
# volume's $2, once, while $2 is empty (a volume that holds data wins; the root volume's copy is then left as it
# was, under the bind mount). Copied first, then deleted: a failed copy deletes nothing. With "copy" as $3 the
# original stays; the units named after it are stopped first, as they hold the files open.
move_onto_volume() {
  local old=$1 new=$2 how=$3 unit
  shift 3
  if mountpoint -q "$old" || ! has_files "$old"; then return 0; fi
  if [[ -d $new && -n $(ls -A "$new") ]]; then
    log "$new holds data already: $old on the root volume is left as it was, hidden by the data volume's"
    return 0
  fi
  for unit in "$@"; do
    if systemctl is-active --quiet "$unit"; then
      log "stopping $unit to move its data"
      systemctl stop "$unit"
    fi
  done
  log "moving $old onto the data volume ($new)"
  rm -rf "$new.moving"
  if ! cp -a "$old/." "$new.moving"; then
    rm -rf "$new.moving"
    fail "could not copy $old onto the data volume: it is left as it was on the root volume"
  fi
  if [[ -d $new ]]; then rmdir "$new"; fi
  mv "$new.moving" "$new"
  if [[ $how == move ]]; then find "$old" -mindepth 1 -delete; fi
}

# Creates the volume's directory $1 (mode $2, owner $3) and, with a target $4, bind-mounts it there.
data_subdir() {
  local dir=$DATA_DIR/$1 mode=$2 owner=$3 target=${4:-}
  install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$dir"
  [[ -n $target ]] || return 0
  fstab_entry "$target" "$dir $target none bind,nofail,x-systemd.requires-mounts-for=$DATA_DIR 0 0"
  if mountpoint -q "$target"; then return 0; fi
  [[ -d $target ]] || mkdir -p "$target"
  log "binding $dir on $target"
  mount --bind "$dir" "$target"
}

setup_data_layout() {
  if [[ $PROFILE == production ]]; then
    move_onto_volume "$PG_HOME" "$DATA_DIR/pgsql" move keycloak.service postgresql.service
    data_subdir pgsql 0700 postgres:postgres "$PG_HOME"
  else
    # The container's /opt/keycloak/data, as its user 1000:0. Docker's own volume is left for the operator.
    move_onto_volume "$DOCKER_DEV_DATA" "$DATA_DIR/keycloak" copy keycloak.service
    data_subdir keycloak 0770 1000:0
  fi
  move_onto_volume "$STATE_DIR" "$DATA_DIR/state" move
  data_subdir state 0700 0:0 "$STATE_DIR"
  move_onto_volume "$TLS_DIR" "$DATA_DIR/tls" move
  data_subdir tls 0755 0:0 "$TLS_DIR"
  # Caddy's storage, mounted into its container as it is (the unit's --volume): a replaced instance serves the same
  # certificate instead of asking the CA again.
  data_subdir caddy 0700 0:0
  data_subdir backups 0700 0:0
}

# RequiresMountsFor= makes a unit wait for the mounts of these paths, and not start when one fails (nofail only
# keeps the boot going): without the volume, PostgreSQL would initialise an empty cluster on the root volume.
data_drop_in() {
  printf '# Written by keycloak-ec2: never start on the root volume while the data volume is missing.\n'
  printf '[Unit]\nRequiresMountsFor=%s\n' "$*"
}

write_drop_in() {
  local dir=$ROOT/etc/systemd/system/$1.d text
  shift
  text=$(data_drop_in "$@")
  if [[ -f $dir/keycloak-ec2-data.conf && $(<"$dir/keycloak-ec2-data.conf") == "$text" ]]; then return 0; fi
  install -d -m 0755 "$dir"
  printf '%s\n' "$text" | install -m 0644 /dev/stdin "$dir/keycloak-ec2-data.conf"
  DATA_RELOAD=1
}

# Stops the boot when the data would go to the root volume: DATA_DIR and each bind must be mounts of the volume.
require_data_volume() {
  [[ -n ${DATA_VOLUME_ID:-} ]] || return 0
  mountpoint -q "$DATA_DIR" ||
    fail "$DATA_DIR is not mounted: without the data volume $DATA_VOLUME_ID the data would be written to the root volume, and lost with the instance"
  local volume name target
  volume=$(mountpoint -d "$DATA_DIR")
  while read -r name target; do
    [[ $(mountpoint -d "$target" 2>/dev/null || true) == "$volume" ]] ||
      fail "$target is not bound to $DATA_DIR/$name on the data volume"
  done < <(data_binds)
}

# The boot's entry point: after the packages (the postgres user owns pgsql/), before PostgreSQL and TLS are set up.
# Without DATA_VOLUME_ID (no data volume in the config) the data stays on the root volume, as before.
setup_data_volume() {
  if [[ -z ${DATA_VOLUME_ID:-} ]]; then
    log "no data volume in the settings: the data stays on the root volume, and goes with the instance"
    return 0
  fi
  [[ $DATA_VOLUME_ID =~ ^vol-[0-9a-f]{8,17}$ ]] || fail "DATA_VOLUME_ID=$DATA_VOLUME_ID is not an EBS volume id"
  [[ ${DATA_DEVICE:-/dev/sdf} =~ ^/dev/(sd|xvd)[a-z]{1,2}$ ]] ||
    fail "DATA_DEVICE=$DATA_DEVICE is not an EBS device name (/dev/sdf, /dev/xvdf, ...)"
  DATA_RELOAD=""
  wait_for_data_device
  data_filesystem
  mount_data_volume
  grow_data_filesystem
  setup_data_layout
  if [[ $PROFILE == production ]]; then write_drop_in postgresql.service "$PG_HOME" "$DATA_DIR"; fi
  write_drop_in keycloak.service "$DATA_DIR" "$STATE_DIR"
  write_drop_in caddy.service "$DATA_DIR" "$TLS_DIR"
  reload_if_changed
  require_data_volume
  log "the data volume $DATA_VOLUME_ID is mounted at $DATA_DIR"
}
