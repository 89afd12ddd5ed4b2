#!/bin/bash
# keycloak-ec2: what the boot and its companion scripts share (paths, settings, logging, failure reporting, retries,
# polling, instance metadata, SSM and S3 reads and writes, address checks).
# Sourced, never run: each script sets its own shell options first. Settings come from /etc/keycloak-ec2/boot.env.
# shellcheck disable=SC2034 # the paths are used by the scripts that source this one

# KEYCLOAK_EC2_ROOT relocates every file the boot writes (the tests rehearse it in a scratch directory); it is
# empty on the instance. The other KEYCLOAK_EC2_* variables shorten its waits for the tests.
readonly ROOT=${KEYCLOAK_EC2_ROOT:-}
# The data volume's mount point (keycloak-data.sh): PostgreSQL, TLS material and the boot's state live on it.
readonly DATA_DIR=$ROOT/srv/keycloak-ec2
readonly CONF_DIR=$ROOT/etc/keycloak-ec2
readonly TLS_DIR=$CONF_DIR/tls
readonly STATE_DIR=$ROOT/var/lib/keycloak-ec2
readonly IMAGE_DIR=$STATE_DIR/image
readonly IMPORT_DIR=$ROOT/opt/keycloak-ec2/import
# The bundle that installed these scripts (src/boot/bundle.ts): its hash tells which configuration ran.
readonly BUNDLE=$ROOT/opt/keycloak-ec2/bundle.sh
readonly PGDATA=$ROOT/var/lib/pgsql/data
readonly UNIT=$ROOT/etc/systemd/system/keycloak.service
# The proxy (src/boot/proxy.ts): its Caddyfile and unit come with the bundle, its env file is written by the boot, its
# storage (ACME account, certificates) is on the data volume.
readonly CADDYFILE=$CONF_DIR/Caddyfile
readonly PROXY_ENV=$CONF_DIR/caddy.env
readonly PROXY_UNIT=$ROOT/etc/systemd/system/caddy.service
readonly CADDY_DIR=$DATA_DIR/caddy
# cluster: the region's RDS CA bundle, which the container reads (src/boot/unit.ts, PATHS.rdsCaBundle).
readonly RDS_CA_BUNDLE=$CONF_DIR/rds-ca-bundle.pem
# Keycloak's plain-HTTP listener on loopback (src/boot/unit.ts), where the boot calls the admin API.
readonly KEYCLOAK_HTTP_URL=${KEYCLOAK_EC2_HTTP_URL:-http://127.0.0.1:8080}
readonly FSTAB=$ROOT/etc/fstab
readonly RETRY_ATTEMPTS=${KEYCLOAK_EC2_RETRY_ATTEMPTS:-5}
readonly RETRY_DELAY=${KEYCLOAK_EC2_RETRY_DELAY:-10}
readonly ADDRESS_WAIT=${KEYCLOAK_EC2_ADDRESS_WAIT:-300}
readonly ADDRESS_POLL=${KEYCLOAK_EC2_ADDRESS_POLL:-5}
readonly READY_WAIT=${KEYCLOAK_EC2_READY_WAIT:-600}
readonly READY_POLL=${KEYCLOAK_EC2_READY_POLL:-5}
readonly CERT_WAIT=${KEYCLOAK_EC2_CERT_WAIT:-300}
readonly CERT_POLL=${KEYCLOAK_EC2_CERT_POLL:-5}
# How long the proxy must stay up after a restart: a Caddy that cannot start exits within a second or two.
readonly PROXY_SETTLE=${KEYCLOAK_EC2_PROXY_SETTLE:-10}
# cluster: how long a node's claim to apply the realm holds others off, how long it waits for other claims to land,
# and how long a node whose claim lost waits for the winner's result (keycloak-realm.sh, claim_realm).
readonly REALM_CLAIM_TTL=${KEYCLOAK_EC2_REALM_CLAIM_TTL:-600}
readonly REALM_CLAIM_SETTLE=${KEYCLOAK_EC2_REALM_CLAIM_SETTLE:-15}
readonly REALM_WAIT=${KEYCLOAK_EC2_REALM_WAIT:-900}
readonly REALM_POLL=${KEYCLOAK_EC2_REALM_POLL:-15}

# shellcheck source=/dev/null
. "$CONF_DIR/boot.env"
: "${PROFILE:?} ${AWS_REGION:?} ${KEYCLOAK_IMAGE:?} ${PARAMETER_PREFIX:?} ${ADMIN_USER:?}"
if [[ $PROFILE == cluster ]]; then
  : "${KEYCLOAK_HOSTNAME:?} ${DB_ENDPOINT:?} ${DB_PORT:?} ${TRUSTED_PROXY_CIDRS:?} ${STATUS_BUCKET:?} ${REALM_HASH_KEY:?}"
  : "${NODE_STATUS_PREFIX:?} ${GROUP_NAME:?} ${LAUNCH_HOOK:?}"
else
  : "${TLS_MODE:?} ${PROXY_IMAGE:?}"
fi

# To stderr: cloud-init records it too, and it never mixes into a value captured with $(...).
log() { printf 'keycloak-ec2 [%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# A script that defines on_failure (the boot reports its status) has it called with the reason, once, by the
# script's own shell. A failure inside a subshell ($(...), or `(step) || exit`) only records its reason in
# FAILURE_REASON: the shell around it then fails on the assignment, whose own reason would only name the line, or
# exits, and reports the recorded reason instead (fail, or report_recorded_failure at its exit). The file's name is
# random and it is written without following an existing name (noclobber: the first reason stays).
FAILURE_REASON=$(mktemp -u "${TMPDIR:-/tmp}/keycloak-ec2-failure.XXXXXXXXXX")
readonly FAILURE_REASON
fail() {
  trap - ERR
  log "FAILED: $*"
  if [[ $BASHPID != "$$" ]]; then
    (set -C && printf '%s' "$*" >"$FAILURE_REASON") 2>/dev/null || true
    exit 1
  fi
  report_failure "$*"
  exit 1
}

# on_failure with the reason a subshell recorded, else with $1; once (a fail inside on_failure reports nothing more).
FAILURE_REPORTED=""
report_failure() {
  local reason=$1
  if [[ -f $FAILURE_REASON ]]; then
    reason=$(<"$FAILURE_REASON")
    rm -f "$FAILURE_REASON"
  fi
  [[ -z $FAILURE_REPORTED ]] || return 0
  FAILURE_REPORTED=1
  if declare -F on_failure >/dev/null; then on_failure "$reason" || true; fi
}

# At the script's exit: a failure that ended the script without fail is reported too, with a subshell's recorded
# reason (`(step) || exit`) or its exit status (an unset setting under set -u); one the script got past
# (`x=$(step) || ...`) is not.
report_recorded_failure() {
  local code=$?
  [[ $BASHPID == "$$" ]] || return 0
  if ((code != 0)); then
    report_failure "exited with status $code (its log says where)"
  else
    rm -f "$FAILURE_REASON"
  fi
}
trap report_recorded_failure EXIT
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

# Whether $1 is an IPv4 or IPv6 address or CIDR, as Caddy's remote_ip and Keycloak's proxy-trusted-addresses take them.
is_cidr() { [[ $1 =~ ^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$ ]]; }
# Whether $1 is a DNS host name (letters, digits, dots and dashes, neither first nor last a dot or dash).
is_hostname() { [[ $1 =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; }
# Whether $1 is a dotted IPv4 address.
is_ipv4() { [[ $1 =~ ^[0-9]+(\.[0-9]+){3}$ ]]; }

imds() {
  local token
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

# The instance's id: NODE_ID once resolve_node has read it, else from the instance metadata. Fails unless it is one.
node_id() {
  local node=${NODE_ID:-}
  [[ -n $node ]] || node=$(imds instance-id) || return 1
  [[ $node =~ ^i-[0-9a-f]+$ ]] || return 1
  printf '%s' "$node"
}

# Runs one command until it succeeds: RETRY_ATTEMPTS times at most, waiting RETRY_DELAY seconds longer after each
# failure (10, 20, 30, 40 s by default), for downloads that a network hiccup (an address switch) breaks. Give it a
# command, not a function: set -e does not apply inside a function run as a condition.
retry() {
  local attempt
  for ((attempt = 1; ; attempt++)); do
    if "$@"; then return 0; fi
    ((attempt < RETRY_ATTEMPTS)) || fail "$* failed $attempt times, giving up (is the network reachable?)"
    log "$1 failed (attempt $attempt of $RETRY_ATTEMPTS), retrying in $((attempt * RETRY_DELAY)) s"
    sleep $((attempt * RETRY_DELAY))
  done
}

# Runs CHECK (a command) every POLL seconds until it succeeds, for LIMIT seconds at most, calling REPORT (a function)
# with the seconds waited at once and every 30 s, to say what is awaited: poll_until LIMIT POLL REPORT CHECK...
# Returns 1 when the time is up. Give it a command, not a function run for its status under set -e.
poll_until() {
  local limit=$1 poll=$2 report=$3 started=$SECONDS last_report=-30
  shift 3
  until "$@"; do
    if ((SECONDS - started >= limit)); then return 1; fi
    if ((SECONDS - last_report >= 30)); then
      "$report" $((SECONDS - started))
      last_report=$SECONDS
    fi
    sleep "$poll"
  done
}

# The value of an SSM parameter (SecureString decrypted with the instance role), retried while IAM propagates.
parameter() {
  local attempt attempts=${KEYCLOAK_EC2_PARAMETER_ATTEMPTS:-6} error
  for ((attempt = 1; ; attempt++)); do
    # The AWS CLI's message (AccessDenied, ParameterNotFound, ...) is kept for the last failure.
    if { error=$(aws ssm get-parameter --region "$AWS_REGION" --name "$1" --with-decryption --query Parameter.Value --output text 2>&1 >&3); } 3>&1; then
      return 0
    fi
    ((attempt < attempts)) || fail "cannot read SSM parameter $1 with the instance role: ${error:-no message}"
    log "cannot read SSM parameter $1 yet (attempt $attempt of $attempts), retrying"
    sleep $((attempt * 5))
  done
}

# A generated secret, checked to be alphanumeric: it is written into env files, SQL and the realm import.
secret() {
  local value
  value=$(parameter "$PARAMETER_PREFIX/$1")
  [[ $value =~ ^[A-Za-z0-9]{16,}$ ]] || fail "SSM parameter $PARAMETER_PREFIX/$1 is not a generated alphanumeric secret"
  printf '%s' "$value"
}

# An object of STATUS_BUCKET (the boot's reports; in the cluster also the realm's shared record) on stdout: nothing
# if there is none. Returns 1, the CLI's message logged, on any other error (no access, no network).
s3_read() {
  local error
  if { error=$(aws s3 cp --only-show-errors --region "$AWS_REGION" "s3://$STATUS_BUCKET/$1" - 2>&1 >&3); } 3>&1; then
    return 0
  fi
  [[ $error == *"(404)"* ]] && return 0
  log "cannot read s3://$STATUS_BUCKET/$1: ${error:-no message}"
  return 1
}

# Stdin to an object of STATUS_BUCKET: s3_write KEY [CONTENT_TYPE]. Fails (the CLI's message on stderr) if it cannot.
s3_write() {
  aws s3 cp --only-show-errors --region "$AWS_REGION" ${2:+--content-type "$2"} - "s3://$STATUS_BUCKET/$1"
}
