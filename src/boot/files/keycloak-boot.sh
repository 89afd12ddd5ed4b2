#!/bin/bash
# keycloak-ec2 boot: installs and starts Keycloak on this host, as the guide does by hand over SSH.
# cloud-init runs it once at first boot (output in /var/log/cloud-init-output.log); running it again by hand
# (sudo /opt/keycloak-ec2/keycloak-boot.sh) re-applies the same settings without breaking a running install.
# Settings come from /etc/keycloak-ec2/boot.env; secrets from SSM Parameter Store, never from user data.
set -Eeuo pipefail
umask 077

# KEYCLOAK_EC2_ROOT relocates the files (tests run the functions in a scratch directory); empty on the instance.
readonly ROOT=${KEYCLOAK_EC2_ROOT:-}
readonly CONF_DIR=$ROOT/etc/keycloak-ec2
readonly TLS_DIR=$CONF_DIR/tls
readonly STATE_DIR=$ROOT/var/lib/keycloak-ec2
readonly IMPORT_DIR=$ROOT/opt/keycloak-ec2/import
readonly KEYCLOAK_UID=1000 # the keycloak user of the quay.io/keycloak/keycloak image
readonly PGDATA=/var/lib/pgsql/data

# shellcheck source=/dev/null
. "$CONF_DIR/boot.env"
: "${PROFILE:?} ${AWS_REGION:?} ${KEYCLOAK_IMAGE:?} ${PARAMETER_PREFIX:?} ${ADMIN_USER:?} ${HTTPS_PORT:?}"

# To stderr: cloud-init records it too, and it never mixes into a value captured with $(...).
log() { printf 'keycloak-ec2 [%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

imds() {
  local token
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

# The value of an SSM parameter (SecureString decrypted with the instance role), retried while IAM propagates.
parameter() {
  local attempt attempts=${KEYCLOAK_EC2_PARAMETER_ATTEMPTS:-6}
  for ((attempt = 1; ; attempt++)); do
    if aws ssm get-parameter --region "$AWS_REGION" --name "$1" --with-decryption --query Parameter.Value --output text 2>/dev/null; then
      return 0
    fi
    ((attempt < attempts)) || fail "cannot read SSM parameter $1 with the instance role"
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

memory_mib() { awk '/^MemTotal:/ { print int($2 / 1024) }' "${KEYCLOAK_EC2_MEMINFO:-/proc/meminfo}"; }

# Under 2 GiB of memory (a 1 GiB type shows about 950 MiB, a 2 GiB type about 1900 MiB): read from the machine
# itself, so that a change of instance type (a Terraform variable) takes effect without a new boot script.
is_small_instance() { (($(memory_mib) < 1536)); }

add_swap_if_small() {
  if ! is_small_instance || swapon --show=NAME --noheadings | grep -qx /swapfile; then return 0; fi
  log "less than 2 GiB of memory: adding a 2 GiB swap file"
  [[ -f /swapfile ]] || dd if=/dev/zero of=/swapfile bs=1M count=2048 status=none
  chmod 600 /swapfile
  mkswap /swapfile >/dev/null
  swapon /swapfile
  grep -q '^/swapfile ' /etc/fstab || echo '/swapfile none swap defaults 0 0' >>/etc/fstab
}

install_packages() {
  local packages=(docker)
  if [[ $PROFILE == production ]]; then packages+=(postgresql16 postgresql16-server); fi
  log "installing ${packages[*]}"
  dnf install -y -q "${packages[@]}"
  systemctl enable --now docker
}

# Client authentication: the postgres superuser by peer, the keycloak role by SCRAM password on its database,
# over loopback only.
pg_hba_rules() {
  cat <<'HBA'
# Written by keycloak-ec2: local connections only.
local  all       postgres                 peer
host   keycloak  keycloak  127.0.0.1/32   scram-sha-256
host   keycloak  keycloak  ::1/128        scram-sha-256
HBA
}

pg_settings() {
  cat <<'CONF'
# Written by keycloak-ec2.
listen_addresses = 'localhost'
password_encryption = 'scram-sha-256'
CONF
}

# Creates the keycloak role and database if missing and sets the role's secret again, which is safe to repeat
# and is how a rotated secret reaches PostgreSQL. The secret ($1) is alphanumeric (checked by secret()).
keycloak_database_sql() {
  cat <<SQL
SELECT 'CREATE ROLE keycloak LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keycloak')\gexec
ALTER ROLE keycloak WITH LOGIN PASSWORD '$1';
SELECT 'CREATE DATABASE keycloak OWNER keycloak' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'keycloak')\gexec
SQL
}

setup_postgresql() {
  if [[ ! -f $PGDATA/PG_VERSION ]]; then
    log "initialising the PostgreSQL cluster"
    postgresql-setup --initdb
  fi
  pg_hba_rules | install -m 0600 -o postgres -g postgres /dev/stdin "$PGDATA/pg_hba.conf"
  pg_settings | install -m 0600 -o postgres -g postgres /dev/stdin "$PGDATA/keycloak-ec2.conf"
  grep -q "^include_if_exists = 'keycloak-ec2.conf'" "$PGDATA/postgresql.conf" ||
    echo "include_if_exists = 'keycloak-ec2.conf'" >>"$PGDATA/postgresql.conf"
  systemctl enable --now postgresql
  systemctl reload postgresql

  local db_secret
  db_secret=$(secret db-password)
  log "creating the keycloak database and role (if missing) and setting the role's password"
  keycloak_database_sql "$db_secret" | sudo -u postgres psql -q -v ON_ERROR_STOP=1
}

# Sets PUBLIC_DNS, PUBLIC_IP and KEYCLOAK_HOST: the Elastic IP's when Terraform passed them, else the instance's.
resolve_addresses() {
  PUBLIC_DNS=${PUBLIC_DNS:-$(imds public-hostname || true)}
  PUBLIC_IP=${PUBLIC_IP:-$(imds public-ipv4 || true)}
  KEYCLOAK_HOST=${KEYCLOAK_HOSTNAME:-$PUBLIC_DNS}
  [[ -n $KEYCLOAK_HOST ]] || fail "the instance has no public DNS name: set keycloak.hostname in the config"
  log "Keycloak will answer at https://$KEYCLOAK_HOST:$HTTPS_PORT"
}

setup_tls() {
  install -d -m 0755 "$TLS_DIR"
  if [[ -n ${TLS_CERTIFICATE_PARAMETER:-} ]]; then
    log "installing the certificate from $TLS_CERTIFICATE_PARAMETER"
    parameter "$TLS_CERTIFICATE_PARAMETER" >"$TLS_DIR/tls.crt.new"
    parameter "$TLS_PRIVATE_KEY_PARAMETER" >"$TLS_DIR/tls.key.new"
    openssl x509 -in "$TLS_DIR/tls.crt.new" -noout || fail "$TLS_CERTIFICATE_PARAMETER does not hold a PEM certificate"
    openssl pkey -in "$TLS_DIR/tls.key.new" -noout || fail "$TLS_PRIVATE_KEY_PARAMETER does not hold a PEM private key"
    [[ $(openssl x509 -in "$TLS_DIR/tls.crt.new" -noout -pubkey) == "$(openssl pkey -in "$TLS_DIR/tls.key.new" -pubout)" ]] ||
      fail "the private key in $TLS_PRIVATE_KEY_PARAMETER does not match the certificate in $TLS_CERTIFICATE_PARAMETER"
    mv -f "$TLS_DIR/tls.crt.new" "$TLS_DIR/tls.crt"
    mv -f "$TLS_DIR/tls.key.new" "$TLS_DIR/tls.key"
  else
    local names="DNS:$KEYCLOAK_HOST"
    if [[ -n $PUBLIC_DNS && $PUBLIC_DNS != "$KEYCLOAK_HOST" ]]; then names+=",DNS:$PUBLIC_DNS"; fi
    if [[ -n $PUBLIC_IP ]]; then names+=",IP:$PUBLIC_IP"; fi
    if [[ ! -f $TLS_DIR/tls.crt ]] || [[ $(cat "$STATE_DIR/certificate-names" 2>/dev/null) != "$names" ]]; then
      log "making a self-signed certificate for $names"
      openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 825 -subj "/CN=$KEYCLOAK_HOST" \
        -addext "subjectAltName=$names" -keyout "$TLS_DIR/tls.key" -out "$TLS_DIR/tls.crt" 2>/dev/null
      printf '%s' "$names" >"$STATE_DIR/certificate-names"
    fi
  fi
  # The key is readable by the container's user only (root can read anything anyway).
  chown "$KEYCLOAK_UID:$KEYCLOAK_UID" "$TLS_DIR/tls.key"
  chmod 0400 "$TLS_DIR/tls.key"
  chmod 0444 "$TLS_DIR/tls.crt"
}

# Container environment (secrets, mode 0600) and the unit's own settings (memory limits, hostname URL).
write_environment() {
  # Each secret through an assignment: a failure inside $(...) used as an argument would go unnoticed.
  local memory swap heap admin_secret db_secret="" bff_secret service_secret
  admin_secret=$(secret admin-password)
  if [[ $PROFILE == production ]]; then db_secret=$(secret db-password); fi
  bff_secret=$(secret bff-client-secret)
  service_secret=$(secret service-client-secret)
  if is_small_instance; then
    memory=900m swap=2g heap="-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=15"
  else
    memory="$(($(memory_mib) - 512))m" swap="$(($(memory_mib) - 512))m" heap="-XX:MaxRAMPercentage=70 -XX:InitialRAMPercentage=50"
  fi
  {
    printf '%s=%s\n' KC_BOOTSTRAP_ADMIN_USERNAME "$ADMIN_USER"
    printf '%s=%s\n' KC_BOOTSTRAP_ADMIN_PASSWORD "$admin_secret"
    if [[ -n $db_secret ]]; then printf '%s=%s\n' KC_DB_PASSWORD "$db_secret"; fi
    printf '%s=%s\n' BFF_CLIENT_SECRET "$bff_secret"
    printf '%s=%s\n' SERVICE_CLIENT_SECRET "$service_secret"
    printf '%s=%s\n' JAVA_OPTS_KC_HEAP "$heap"
  } >"$CONF_DIR/keycloak.env.new"
  mv -f "$CONF_DIR/keycloak.env.new" "$CONF_DIR/keycloak.env"
  {
    printf 'KEYCLOAK_IMAGE=%s\nKEYCLOAK_MEMORY=%s\nKEYCLOAK_MEMORY_SWAP=%s\n' "$KEYCLOAK_IMAGE" "$memory" "$swap"
    printf 'KEYCLOAK_URL=https://%s:%s\n' "$KEYCLOAK_HOST" "$HTTPS_PORT"
  } >"$CONF_DIR/runtime.env"
}

start_keycloak() {
  log "pulling $KEYCLOAK_IMAGE"
  docker pull --quiet "$KEYCLOAK_IMAGE" >/dev/null
  local applied
  applied=$(cat /etc/systemd/system/keycloak.service "$CONF_DIR"/*.env "$TLS_DIR/tls.crt" "$IMPORT_DIR"/*.json | sha256sum)
  systemctl daemon-reload
  systemctl enable keycloak.service
  if systemctl is-active --quiet keycloak.service && [[ $(cat "$STATE_DIR/applied" 2>/dev/null) == "$applied" ]]; then
    log "Keycloak is running with these settings already"
  else
    log "starting Keycloak"
    systemctl restart keycloak.service
  fi
  printf '%s' "$applied" >"$STATE_DIR/applied"
}

wait_until_ready() {
  local started=$SECONDS last_report=0
  until curl -fsk --max-time 5 "https://127.0.0.1:9000/health/ready" >/dev/null 2>&1; do
    if ((SECONDS - started > 600)); then
      fail "Keycloak was not ready after 10 minutes (see: journalctl -u keycloak)"
    fi
    if ((SECONDS - last_report >= 15)); then
      log "waiting for Keycloak to be ready ($((SECONDS - started)) s, service $(systemctl is-active keycloak.service || true))"
      last_report=$SECONDS
    fi
    sleep 5
  done
  log "Keycloak is ready at https://$KEYCLOAK_HOST:$HTTPS_PORT (admin console: /admin/master/console/)"
}

main() {
  log "boot of the $PROFILE profile"
  install -d -m 0700 "$STATE_DIR"
  add_swap_if_small
  install_packages
  if [[ $PROFILE == production ]]; then setup_postgresql; fi
  resolve_addresses
  setup_tls
  write_environment
  start_keycloak
  wait_until_ready
}

# Sourced (by the tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
