#!/bin/bash
# Stand-ins for the commands the boot runs on the instance (see test/boot/harness.ts). Each call appends its command
# line to $STUB_LOG, then acts as the real command would, as far as the boot can tell: state lives in $STUB_STATE.
#   STUB_NAME      the command this call stands for (the harness's wrapper sets it)
#   FAKE_SSM       SSM parameters, one file each, named after the parameter with / as _
#   STUB_STATE/imds/<path>      instance metadata, one value a line: each call takes the first line until one is left
#   STUB_STATE/fail/<command>   a number: that many calls of the command fail first, as a reset connection does
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

aws_() {
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

curl_() {
  local url=${*: -1}
  case $url in
    */latest/api/token) echo token ;;
    */latest/meta-data/*) next_value "$STATE/imds/${url#*/latest/meta-data/}" || return 22 ;;
    */health/ready) [[ -f $STATE/active/keycloak.service ]] || return 7 ;;
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
  # ${VARIABLE} in the unit is systemd's substitution, which bash's expansion stands in for here.
  eval "$line" || [[ -n $may_fail ]]
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
      if [[ ${args[1]} == keycloak.service ]]; then start_unit "${args[1]}"; else touch "$STATE/active/${args[1]}"; fi
      ;;
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
      # The variables `--env NAME` forwards from the unit's environment, as docker does.
      for arg in "$@"; do
        if [[ $previous == --env && $arg != *=* ]]; then printf '%s=%s\n' "$arg" "${!arg-}"; fi
        previous=$arg
      done >"$STATE/container-env"
      ;;
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

# The real openssl, recorded: the stubs' directory is first in PATH.
openssl_() { PATH=${PATH#*:} openssl "$@"; }

"${NAME}_" "$@"
