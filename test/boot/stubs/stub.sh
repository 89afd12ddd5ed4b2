#!/bin/bash
# Stand-ins for the commands the boot runs on the instance (see test/boot/harness.ts). Each call appends its command
# line to $STUB_LOG, then acts as the real command would, as far as the boot can tell: state lives in $STUB_STATE.
#   STUB_NAME      the command this call stands for (the harness's wrapper sets it)
#   FAKE_SSM       SSM parameters, one file each, named after the parameter with / as _
#   STUB_STATE/imds/<path>      instance metadata, one value a line: each call takes the first line until one is left
#   STUB_STATE/fail/<command>   a number: that many calls of the command fail first, as a reset connection does
#   FAKE_S3        the buckets of `aws s3`, one directory each (default STUB_STATE/s3): s3://b/k is FAKE_S3/b/k
#   STUB_STATE/https/<host>/<path>  what an HTTPS server answers (curl --output), e.g. the RDS CA bundle
#   STUB_STATE/acme/<issuer dir>.crt  the certificate Caddy obtains once caddy.service starts, for the address in its
#                  env file, from the issuer whose storage directory is named so
#   STUB_STATE/caddy-log   what `docker logs caddy` prints
#   STUB_STATE/caddy-invalid  if present, `caddy validate` in the proxy's image rejects the Caddyfile, printing it
#   STUB_STATE/caddy-crashes  if present, caddy.service exits right after each start
set -uo pipefail

readonly NAME=${STUB_NAME:?}
readonly ROOT=${KEYCLOAK_EC2_ROOT:?}
readonly STATE=${STUB_STATE:?}
mkdir -p "$STATE"/{active,images,installed,fail,imds}
printf '%s\n' "$NAME $*" >>"${STUB_LOG:?}"

# Fails this call if the test asked for failures of this command.
fails_now() {
  local file=$STATE/fail/$NAME count
  [[ -f $file ]] || return 1
  count=$(<"$file")
  ((count > 0)) || return 1
  echo $((count - 1)) >"$file"
}

# The first line of a file, removed unless it is the last one.
next_value() {
  [[ -s $1 ]] || return 1
  head -n 1 "$1"
  if (($(wc -l <"$1") > 1)); then sed -i 1d "$1"; fi
}

# aws s3 cp (a local file or stdin to s3://, or back) and aws s3 ls, as the CLI answers, on the directories of FAKE_S3.
aws_s3() {
  local args=()
  while (($# > 0)); do
    case $1 in
      --only-show-errors) ;;
      --region | --content-type) shift ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  set -- "${args[@]}"
  local store=${FAKE_S3:-$STATE/s3}
  case $1 in
    cp)
      if fails_now; then
        echo "upload failed: Connection was closed before we received a valid response from endpoint URL" >&2
        return 1
      fi
      if [[ $2 == s3://* ]]; then
        [[ -f $store/${2#s3://} ]] || {
          echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key \"${2#s3://*/}\" does not exist" >&2
          return 1
        }
        if [[ $3 == - ]]; then cat "$store/${2#s3://}"; else cp "$store/${2#s3://}" "$3"; fi
      elif [[ $2 == - ]]; then
        mkdir -p "$(dirname "$store/${3#s3://}")"
        cat >"$store/${3#s3://}"
      else
        [[ -f $2 ]] || {
          echo "The user-provided path $2 does not exist." >&2
          return 255
        }
        mkdir -p "$(dirname "$store/${3#s3://}")"
        cp "$2" "$store/${3#s3://}"
      fi
      ;;
    ls)
      # The objects under a prefix, in key order, as "date time size name"; nothing matched: exit 1, no output.
      local prefix=$store/${2#s3://} file found=1
      for file in "$prefix"*; do
        [[ -f $file ]] || continue
        printf '%s %10d %s\n' "$(date -u -r "$file" '+%Y-%m-%d %H:%M:%S')" "$(stat -c %s "$file")" "${file##*/}"
        found=0
      done
      return $found
      ;;
    *) return 1 ;;
  esac
}

# aws autoscaling complete-lifecycle-action: the first completion of an instance's launch is recorded in
# STUB_STATE/launch/<instance id> (the result); later ones get AWS's answer that no action is pending; a failure the
# test asked for (of "aws") first, as throttling.
aws_autoscaling() {
  local instance="" result=""
  while (($# > 0)); do
    case $1 in
      --instance-id) instance=$2 ;;
      --lifecycle-action-result) result=$2 ;;
    esac
    shift
  done
  mkdir -p "$STATE/launch"
  if fails_now; then
    echo "An error occurred (Throttling) when calling the CompleteLifecycleAction operation: Rate exceeded" >&2
    return 254
  fi
  if [[ -f $STATE/launch/$instance ]]; then
    echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID $instance" >&2
    return 254
  fi
  echo "$result" >"$STATE/launch/$instance"
}

aws_() {
  if [[ $1 == s3 ]]; then
    aws_s3 "${@:2}"
    return
  fi
  if [[ $1 == autoscaling ]]; then
    aws_autoscaling "${@:2}"
    return
  fi
  local name="" file
  while (($# > 0)); do
    if [[ $1 == --name ]]; then name=$2; fi
    shift
  done
  file="$FAKE_SSM/${name//\//_}"
  if [[ -f $file ]]; then
    cat "$file"
    echo
  else
    echo "An error occurred (ParameterNotFound)" >&2
    return 254
  fi
}

# Keycloak's admin API as far as the realm apply uses it, while keycloak.service is active: the realm exists once
# created; each request is recorded in STUB_STATE/keycloak-api (method and path).
keycloak_api() {
  local method=GET output="" url=${*: -1} path
  while (($# > 1)); do
    case $1 in
      --request) method=$2 ;;
      --output) output=$2 ;;
    esac
    shift
  done
  [[ -f $STATE/active/keycloak.service ]] || return 7
  path=/${url#http://*/}
  echo "$method $path" >>"$STATE/keycloak-api"
  local code=200 body='{}'
  case "$method $path" in
    "POST /realms/master/protocol/openid-connect/token") body='{"access_token":"stub-token"}' ;;
    "GET /admin/realms/"*/clients) body='[]' ;;
    "GET /admin/realms/"*) [[ -f $STATE/realm-${path##*/} ]] || code=404 ;;
    "POST /admin/realms") touch "$STATE/realm-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["realm"])' "$ROOT/opt/keycloak-ec2/import/"*.json)" && code=201 ;;
    "PUT /admin/realms/"*) code=204 ;;
    "POST /admin/realms/"*/partialImport) body='{"added":0,"overwritten":3}' ;;
    *) code=404 ;;
  esac
  [[ -z $output ]] || printf '%s' "$body" >"$output"
  printf '%s' "$code"
}

# curl -fsS ... --output FILE https://host/path: the file STUB_STATE/https/host/path, or 22 (-f: an HTTP error) if
# there is none; a failure the test asked for first, as a reset connection.
https_get() {
  local url=${*: -1} output="" file
  while (($# > 1)); do
    if [[ $1 == --output || $1 == -o ]]; then output=$2; fi
    shift
  done
  if fails_now; then
    echo "curl: (56) Recv failure: Connection reset by peer" >&2
    return 56
  fi
  file=$STATE/https/${url#https://}
  [[ -f $file ]] || {
    echo "curl: (22) The requested URL returned error: 404" >&2
    return 22
  }
  if [[ -n $output ]]; then cp "$file" "$output"; else cat "$file"; fi
}

curl_() {
  local url=${*: -1}
  case $url in
    https://*) https_get "$@" ;;
    */latest/api/token) echo token ;;
    */latest/meta-data/*) next_value "$STATE/imds/${url#*/latest/meta-data/}" || return 22 ;;
    */health/ready) [[ -f $STATE/active/keycloak.service ]] || return 7 ;;
    http://127.0.0.1:8080/*) keycloak_api "$@" ;;
    *) return 6 ;;
  esac
}

dnf_() {
  if fails_now; then
    echo "Curl error (56): Failure when receiving data from the peer" >&2
    return 1
  fi
  local arg
  for arg in "${@:2}"; do [[ $arg == -* ]] || touch "$STATE/installed/$arg"; done
}

rpm_() {
  local arg
  for arg in "$@"; do [[ $arg == -* || -f $STATE/installed/$arg ]] || return 1; done
}

# The joined value of each line of a unit directive (continuation lines joined as systemd does).
directive() { sed -e ':a' -e '/\\$/{N;s/ *\\\n */ /;ba}' "$1" | sed -n "s/^$2=//p"; }

# The unit's EnvironmentFile= lines, read as systemd would at this point (a "-" one may be missing).
load_environment() {
  local file
  while IFS= read -r file; do
    if [[ $file == -* && ! -f $ROOT${file#-} ]]; then continue; fi
    set -a
    # shellcheck source=/dev/null
    . "$ROOT${file#-}" || return 1
    set +a
  done < <(directive "$1" EnvironmentFile)
}

# One Exec line: a leading "-" ignores its failure; binaries are the stubs (docker) or the scratch root's (/opt).
run_exec() {
  local line=$1 may_fail=""
  if [[ $line == -* ]]; then may_fail=1 line=${line#-}; fi
  line=${line#/usr/bin/}
  line=${line/#\/opt\//$ROOT/opt/}
  # Characters systemd passes on as they are, but bash would read (the cluster's JDBC URL has both).
  line=${line//&/\\&}
  line=${line//\?/\\?}
  # ${VARIABLE} in the unit is systemd's substitution, which bash's expansion stands in for here.
  eval "$line" || [[ -n $may_fail ]]
}

# What Caddy does once started with a CA that answers: its certificate in its storage on the data volume, as
# certmagic keeps it (certificates/<issuer>/<name>/<name>.crt).
obtain_certificate() {
  local cert address dir
  for cert in "$STATE"/acme/*.crt; do
    [[ -f $cert ]] || continue
    address=$(sed -n 's/^KEYCLOAK_PROXY_ADDRESS=//p' "$ROOT/etc/keycloak-ec2/caddy.env")
    dir=$ROOT/srv/keycloak-ec2/caddy/caddy/certificates/$(basename "$cert" .crt)/$address
    mkdir -p "$dir"
    cp "$cert" "$dir/$address.crt"
  done
}

# What systemd does to start keycloak.service: environment, each ExecStartPre, the environment again, ExecStart.
start_unit() {
  local unit=$ROOT/etc/systemd/system/$1 line
  [[ -f $unit ]] || {
    echo "Unit $1 not found." >&2
    return 5
  }
  load_environment "$unit" || return 1
  while IFS= read -r line; do run_exec "$line" || return 1; done < <(directive "$unit" ExecStartPre)
  load_environment "$unit" || return 1
  run_exec "$(directive "$unit" ExecStart)" || return 1
  touch "$STATE/active/$1"
}

systemctl_() {
  local quiet="" now="" args=() arg
  for arg in "$@"; do
    case $arg in
      --quiet) quiet=1 ;;
      --now) now=1 ;;
      *) args+=("$arg") ;;
    esac
  done
  case ${args[0]} in
    is-active)
      if [[ -f $STATE/active/${args[1]} ]]; then [[ -n $quiet ]] || echo active; else
        [[ -n $quiet ]] || echo inactive
        return 3
      fi
      ;;
    start | restart)
      case ${args[1]} in
        keycloak.service) start_unit "${args[1]}" ;;
        caddy.service)
          if [[ -f $STATE/caddy-crashes ]]; then
            rm -f "$STATE/active/${args[1]}"
          else
            obtain_certificate && touch "$STATE/active/${args[1]}"
          fi
          ;;
        *) touch "$STATE/active/${args[1]}" ;;
      esac
      ;;
    stop) rm -f "$STATE/active/${args[1]}" ;;
    enable) if [[ -n $now ]]; then touch "$STATE/active/${args[1]}"; fi ;;
    daemon-reload | reload) ;;
    *) return 1 ;;
  esac
}

docker_() {
  local image=${*: -1} tag="" previous="" arg
  if fails_now; then
    echo "read: connection reset by peer" >&2
    return 1
  fi
  case $1 in
    image) [[ $2 == inspect && -f $STATE/images/${image//\//_} ]] ;;
    pull) touch "$STATE/images/${image//\//_}" ;;
    build)
      for arg in "$@"; do
        if [[ $previous == --tag ]]; then tag=$arg; fi
        previous=$arg
      done
      : "${tag:?docker build without --tag}"
      touch "$STATE/images/${tag//\//_}"
      ;;
    run)
      # `caddy validate` in the proxy's image: Caddy's verdict on the Caddyfile.
      if [[ " $* " == *" caddy validate "* ]]; then
        if [[ -f $STATE/caddy-invalid ]]; then
          cat "$STATE/caddy-invalid" >&2
          return 1
        fi
        echo "Valid configuration"
        return 0
      fi
      # The variables `--env NAME` forwards from the unit's environment, as docker does.
      for arg in "$@"; do
        if [[ $previous == --env && $arg != *=* ]]; then printf '%s=%s\n' "$arg" "${!arg-}"; fi
        previous=$arg
      done >"$STATE/container-env"
      ;;
    logs) cat "$STATE/caddy-log" 2>/dev/null ;;
    rm | stop) ;;
    *) return 1 ;;
  esac
}

postgresql-setup_() {
  [[ $1 == --initdb ]] || return 1
  local data=$ROOT/var/lib/pgsql/data
  mkdir -p "$data"
  echo 16 >"$data/PG_VERSION"
  echo "# PostgreSQL's own settings" >"$data/postgresql.conf"
}

# sudo -u postgres psql ...: what psql would have run, kept for the test.
sudo_() { cat >>"$STATE/psql-input"; }

dd_() {
  local arg of="" bs="" count=""
  for arg in "$@"; do
    case $arg in
      of=*) of=${arg#of=} ;;
      bs=*) bs=${arg#bs=} ;;
      count=*) count=${arg#count=} ;;
    esac
  done
  [[ $bs == 1M ]] || return 1
  if fails_now; then
    truncate -s 1M "$of" # what a full disk leaves: the start of the file
    echo "dd: error writing '$of': No space left on device" >&2
    return 1
  fi
  truncate -s "${count}M" "$of" # sparse: the size without the writing
}

mkswap_() { [[ -f $1 ]]; }

# swapon --show lists the active swap files; swapon FILE adds one, and the memory it gives to /proc/meminfo.
swapon_() {
  if [[ $1 == --show* ]]; then
    cat "$STATE/swaps" 2>/dev/null
    return 0
  fi
  [[ -f $1 ]] || return 1
  echo "$1" >>"$STATE/swaps"
  sed -i "s/^SwapTotal:.*/SwapTotal:       $(($(stat -c %s "$1") / 1024)) kB/" "${KEYCLOAK_EC2_MEMINFO:?}"
}

# The real openssl, recorded: the first in PATH that is not a stub's wrapper (a shell's startup file may have put
# directories before the stubs').
openssl_() {
  local dir
  local IFS=:
  for dir in $PATH; do
    if [[ -x $dir/openssl ]] && ! grep -q STUB_NAME= "$dir/openssl" 2>/dev/null; then
      "$dir/openssl" "$@"
      return
    fi
  done
  echo "openssl: not found" >&2
  return 127
}

# Disks: each device is a file whose filesystem is STUB_STATE/disks/<device path with / as _>, blkid's export lines
# (or EXIT=n, blkid's exit code when it cannot decide); mounts are STUB_STATE/mounts lines, "<mount point> <device>".
# A test on a loop device runs the real commands instead (BootHarness's realCommands).
disk_state() { echo "$STATE/disks/${1//\//_}"; }

blkid_() {
  local device=${*: -1} file
  file=$(disk_state "$device")
  [[ -f $file ]] || return 2
  if [[ $(head -n 1 "$file") == EXIT=* ]]; then return "$(sed -n '1s/^EXIT=//p' "$file")"; fi
  printf 'DEVNAME=%s\n' "$device"
  cat "$file"
}

mkfs.xfs_() {
  local device=${*: -1} label="" previous="" arg file
  for arg in "$@"; do
    if [[ $previous == -L ]]; then label=$arg; fi
    previous=$arg
  done
  file=$(disk_state "$device")
  if [[ -f $file ]]; then
    echo "mkfs.xfs: $device appears to contain an existing filesystem." >&2
    return 1
  fi
  mkdir -p "$STATE/disks"
  printf 'LABEL=%s\nUUID=%s\nBLOCK_SIZE=512\nTYPE=xfs\nUSAGE=filesystem\n' "$label" "$(cat /proc/sys/kernel/random/uuid)" >"$file"
}

# mount -t TYPE -o OPTIONS DEVICE DIR, or mount --bind DIR DIR (on the device of the mount holding the source).
mount_() {
  local source=${*: -2:1} target=${*: -1} device="" holder="" mounted dev
  [[ -d $target ]] || return 32
  if [[ $1 == --bind ]]; then
    while read -r mounted dev; do
      if [[ $source == "$mounted"/* && ${#mounted} -gt ${#holder} ]]; then holder=$mounted device=$dev; fi
    done < <(cat "$STATE/mounts" 2>/dev/null)
    device=${device:-$source}
  else
    [[ -f $(disk_state "$source") ]] || return 32
    device=$source
  fi
  echo "$target $device" >>"$STATE/mounts"
}

# mountpoint -q DIR, -d DIR (the device it is on, here its name), -x DEVICE.
mountpoint_() {
  local line
  case $1 in
    -x) echo "$2" ;;
    -q | -d)
      line=$(awk -v dir="$2" '$1 == dir { print; exit }' "$STATE/mounts" 2>/dev/null)
      [[ -n $line ]] || return 32
      if [[ $1 == -d ]]; then echo "${line#* }"; fi
      ;;
    *) return 1 ;;
  esac
}

# xfs_growfs -d DIR: the volume is already its full size in the tests; a directory not mounted is refused.
xfs_growfs_() {
  mountpoint_ -q "${*: -1}" || {
    echo "xfs_growfs: ${*: -1} is not a mounted XFS filesystem" >&2
    return 1
  }
}

# resize2fs DEVICE: as large as the volume already.
resize2fs_() { [[ -f $(disk_state "${*: -1}") ]]; }

# udev is not there in the tests.
udevadm_() { :; }

"${NAME}_" "$@"
