#!/bin/bash
# keycloak-ec2 boot: installs and starts Keycloak on this host, as the guide does by hand over SSH.
# cloud-init runs it once at first boot (output in /var/log/cloud-init-output.log); running it again by hand
# (sudo /opt/keycloak-ec2/keycloak-boot.sh) re-applies the same settings without breaking a running install.
# Settings come from /etc/keycloak-ec2/boot.env; secrets from SSM Parameter Store, never from user data. The memory
# Keycloak gets is not decided here: keycloak.service sizes it at every start (keycloak-memory.sh).
set -Eeuo pipefail
umask 077

# shellcheck source=keycloak-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/keycloak-common.sh"
# shellcheck source=keycloak-data.sh
. "$(dirname "${BASH_SOURCE[0]}")/keycloak-data.sh"
# shellcheck source=keycloak-backup.sh
. "$(dirname "${BASH_SOURCE[0]}")/keycloak-backup.sh"
# shellcheck source=keycloak-realm.sh
. "$(dirname "${BASH_SOURCE[0]}")/keycloak-realm.sh"
# shellcheck source=keycloak-cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/keycloak-cluster.sh"

# Terraform associates the Elastic IP (PUBLIC_IP) once the instance is running, and the switch from the temporary
# public address resets open connections: a package or image download in flight fails. So the network steps start
# once the instance's public address is the Elastic IP, or after ADDRESS_WAIT seconds (the retries cover a late
# switch). Without an Elastic IP there is nothing to wait for.
wait_for_elastic_ip() {
  [[ -n ${PUBLIC_IP:-} ]] || return 0
  if ! poll_until "$ADDRESS_WAIT" "$ADDRESS_POLL" report_address has_elastic_ip; then
    log "the Elastic IP $PUBLIC_IP is still not the instance's address after $ADDRESS_WAIT s: going on"
    return 0
  fi
  log "the instance answers at its Elastic IP $PUBLIC_IP"
}

# Whether the instance's public address is the Elastic IP; the address seen in CURRENT_ADDRESS.
has_elastic_ip() {
  CURRENT_ADDRESS=$(imds public-ipv4 2>/dev/null) || CURRENT_ADDRESS=""
  [[ $CURRENT_ADDRESS == "$PUBLIC_IP" ]]
}
report_address() { log "waiting for the Elastic IP $PUBLIC_IP (the instance's public address is ${CURRENT_ADDRESS:-none yet})"; }

# The swap file of instances of 2 GiB or less, made first so the package installs and the image build have it. The
# memory script owns it (keycloak-memory.sh: the rules, and a type changed down gets it at Keycloak's next start);
# run, not sourced, as it has settings of its own.
add_swap_if_small() { bash "$(dirname "${BASH_SOURCE[0]}")/keycloak-memory.sh" swap; }

# openssl is named although the standard AMI has it: the minimal AMI may not (docs/design-facts.md §10). A cluster
# node needs no PostgreSQL: its database is RDS.
install_packages() {
  local packages=(docker openssl)
  if [[ $PROFILE == production ]]; then packages+=(postgresql16 postgresql16-server); fi
  if rpm -q --quiet "${packages[@]}"; then
    log "${packages[*]} installed already"
  else
    log "installing ${packages[*]}"
    retry dnf install -y -q "${packages[@]}"
  fi
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

# shared_buffers is PostgreSQL's default, written out because keycloak-memory.sh counts on it.
pg_settings() {
  cat <<'CONF'
# Written by keycloak-ec2.
listen_addresses = 'localhost'
password_encryption = 'scram-sha-256'
shared_buffers = 128MB
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

# Sets PUBLIC_DNS, PUBLIC_IP (the Elastic IP's when Terraform passed them, else the instance's) and KEYCLOAK_HOST:
# the hostname if set, else the Elastic IP itself, not its amazonaws.com name, for which Let's Encrypt issues nothing.
resolve_addresses() {
  PUBLIC_DNS=${PUBLIC_DNS:-$(imds public-hostname || true)}
  PUBLIC_IP=${PUBLIC_IP:-$(imds public-ipv4 || true)}
  KEYCLOAK_HOST=${KEYCLOAK_HOSTNAME:-$PUBLIC_IP}
  [[ -n $KEYCLOAK_HOST ]] || fail "the instance has no public IP address: give it an Elastic IP, or set keycloak.hostname in the config"
  log "Keycloak will answer at https://$KEYCLOAK_HOST"
}

# Whether $1 is an IP address (v4 or v6) rather than a name: a certificate names it as IP:, not DNS:.
is_ip() { is_ipv4 "$1" || [[ $1 == *:* ]]; }

# The certificate the proxy serves in the self-signed and supplied TLS modes (TLS_DIR, mounted into Caddy's
# container). In acme mode Caddy gets its own, and this makes nothing.
setup_tls() {
  install -d -m 0755 "$TLS_DIR"
  case $TLS_MODE in
    acme) [[ -n ${ACME_ISSUER_KEY:-} ]] ||
      fail "TLS_MODE=acme needs ACME_ISSUER_KEY (the configured CA's directory in Caddy's storage)"
      return 0 ;;
    supplied) [[ -n ${TLS_CERTIFICATE_PARAMETER:-} && -n ${TLS_PRIVATE_KEY_PARAMETER:-} ]] ||
      fail "TLS_MODE=supplied needs TLS_CERTIFICATE_PARAMETER and TLS_PRIVATE_KEY_PARAMETER (keycloak.tlsCertificate in the config)" ;;
    self-signed) ;;
    *) fail "TLS_MODE=$TLS_MODE is not one of acme, self-signed, supplied" ;;
  esac
  if [[ $TLS_MODE == supplied ]]; then
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
    local names
    if is_ip "$KEYCLOAK_HOST"; then names="IP:$KEYCLOAK_HOST"; else names="DNS:$KEYCLOAK_HOST"; fi
    if [[ -n $PUBLIC_DNS && $PUBLIC_DNS != "$KEYCLOAK_HOST" ]]; then names+=",DNS:$PUBLIC_DNS"; fi
    if [[ -n $PUBLIC_IP && $PUBLIC_IP != "$KEYCLOAK_HOST" ]]; then names+=",IP:$PUBLIC_IP"; fi
    if [[ ! -f $TLS_DIR/tls.crt ]] || [[ $(cat "$STATE_DIR/certificate-names" 2>/dev/null) != "$names" ]]; then
      log "making a self-signed certificate for $names"
      # ECDSA P-256: made in milliseconds, served by Caddy as by any TLS stack.
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes -days 825 -subj "/CN=$KEYCLOAK_HOST" \
        -addext "subjectAltName=$names" -keyout "$TLS_DIR/tls.key" -out "$TLS_DIR/tls.crt" 2>/dev/null
      printf '%s' "$names" >"$STATE_DIR/certificate-names"
    fi
  fi
  # Caddy runs as root in its container; on the host no user but root reads the key (uid 1000 is ec2-user).
  chown 0:0 "$TLS_DIR/tls.key" "$TLS_DIR/tls.crt"
  chmod 0440 "$TLS_DIR/tls.key"
  chmod 0444 "$TLS_DIR/tls.crt"
}

# The options Keycloak fixes at build time (db, health, metrics, features: docs/design-facts.md §6), baked
# into a local image so that no start repeats the build; the unit passes only runtime options (the cluster's cache and
# cache-stack among them: runtime options, which the build refuses). dev mode cannot use such an image (start-dev
# builds for itself at every start), so it runs the official image.
build_options() {
  if builds_image; then echo "KC_DB=postgres KC_HEALTH_ENABLED=true KC_METRICS_ENABLED=true"; fi
}
builds_image() { [[ $PROFILE == production || $PROFILE == cluster ]]; }

# Keycloak's containers guide: the build options as ENV, then `kc.sh build`, then start --optimized (section 6).
# One stage, not the guide's two: the build's layer holds only what the build changed, not a second /opt/keycloak.
# The ENV stays in the image, so a start sees the very values of the build, which Keycloak accepts.
dockerfile() {
  printf '# Written by keycloak-ec2: %s built for its options (https://www.keycloak.org/server/containers)\n' "$KEYCLOAK_IMAGE"
  printf 'FROM %s\n' "$KEYCLOAK_IMAGE"
  printf 'ENV %s\n' "$(build_options)"
  printf 'RUN /opt/keycloak/bin/kc.sh build\n'
}

# The image keycloak.service runs: in production and a cluster, localhost/keycloak-ec2/keycloak:<version>-<hash of the Dockerfile>,
# so a new version or new build options make a new image, and the same ones find theirs. The localhost/ registry
# names a local image only: a missing one is never looked for on Docker Hub (the unit also runs with --pull=never).
run_image() {
  if ! builds_image; then
    printf '%s' "$KEYCLOAK_IMAGE"
    return 0
  fi
  local hash
  hash=$(dockerfile | sha256sum)
  printf 'localhost/keycloak-ec2/keycloak:%s-%s' "${KEYCLOAK_IMAGE##*:}" "${hash:0:12}"
}

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The images the units run (both with --pull=never), each only when missing, so a re-run needs no network: Keycloak's
# and the proxy's.
prepare_image() {
  prepare_keycloak_image
  if has_image "$PROXY_IMAGE"; then
    log "image $PROXY_IMAGE present already"
  else
    log "pulling $PROXY_IMAGE"
    retry docker pull --quiet "$PROXY_IMAGE" >/dev/null
  fi
}

# Pulls the official image and, where builds_image says so, builds the local one.
prepare_keycloak_image() {
  local image
  image=$(run_image)
  if has_image "$image"; then
    log "image $image present already"
    return 0
  fi
  log "pulling $KEYCLOAK_IMAGE"
  retry docker pull --quiet "$KEYCLOAK_IMAGE" >/dev/null
  [[ $image != "$KEYCLOAK_IMAGE" ]] || return 0
  log "building $image (Keycloak's build step with $(build_options))"
  install -d -m 0700 "$IMAGE_DIR"
  dockerfile >"$IMAGE_DIR/Dockerfile"
  retry docker build --tag "$image" "$IMAGE_DIR" >&2
}

# The container's environment (secrets, mode 0600) and the unit's own settings (image, hostname URL). The memory
# limits are not here: keycloak-memory.sh sizes them at every start of the unit. The database password is production's
# local keycloak role's, or a cluster node's RDS master user's: both generated by Terraform, read from SSM.
write_environment() {
  # Each secret through an assignment: a failure inside $(...) used as an argument would go unnoticed.
  local admin_secret db_secret="" bff_secret service_secret image
  admin_secret=$(secret admin-password)
  if [[ $PROFILE != dev ]]; then db_secret=$(secret db-password); fi
  bff_secret=$(secret bff-client-secret)
  service_secret=$(secret service-client-secret)
  image=$(run_image)
  {
    printf '%s=%s\n' KC_BOOTSTRAP_ADMIN_USERNAME "$ADMIN_USER"
    printf '%s=%s\n' KC_BOOTSTRAP_ADMIN_PASSWORD "$admin_secret"
    if [[ -n $db_secret ]]; then printf '%s=%s\n' KC_DB_PASSWORD "$db_secret"; fi
    printf '%s=%s\n' BFF_CLIENT_SECRET "$bff_secret"
    printf '%s=%s\n' SERVICE_CLIENT_SECRET "$service_secret"
  } >"$CONF_DIR/keycloak.env.new"
  mv -f "$CONF_DIR/keycloak.env.new" "$CONF_DIR/keycloak.env"
  write_runtime_env "$image"
}

# The unit's own settings: the image it runs and Keycloak's public URL. The image is also kept in the state on the
# data volume, where a replaced instance finds it: a version change then is an upgrade, with its backup first.
write_runtime_env() {
  {
    printf 'KEYCLOAK_IMAGE=%s\nKEYCLOAK_URL=https://%s\n' "$1" "$(url_host "$KEYCLOAK_HOST")"
    if [[ $PROFILE == cluster ]]; then cluster_runtime_env; fi
  } >"$CONF_DIR/runtime.env.new"
  mv -f "$CONF_DIR/runtime.env.new" "$CONF_DIR/runtime.env"
  printf '%s\n' "$1" >"$STATE_DIR/keycloak-image"
}

# A host as a URL names it: an IPv6 address in brackets.
url_host() { if [[ $1 == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi; }

# The proxy's runtime values (src/boot/proxy.ts, PROXY_ENV), for docker's --env-file, which takes each line as it is:
# every value is checked to be one line that the Caddyfile reads as intended.
write_proxy_env() {
  local cidr cidrs=()
  read -ra cidrs <<<"${ADMIN_CIDRS:-}"
  for cidr in "${cidrs[@]}"; do
    is_cidr "$cidr" || fail "ADMIN_CIDRS holds \"$cidr\", which is not an IP address or CIDR"
  done
  [[ ${ACME_EMAIL:-} =~ ^([^[:space:]\"\'\\]+@[^[:space:]\"\'\\]+)?$ ]] || fail "ACME_EMAIL=$ACME_EMAIL is not an email address"
  {
    printf 'KEYCLOAK_PROXY_ADDRESS=%s\n' "$KEYCLOAK_HOST"
    # Single spaces: the env file keeps the value as written.
    printf 'KEYCLOAK_ADMIN_CIDRS=%s\n' "${cidrs[*]}"
    printf 'KEYCLOAK_ACME_EMAIL=%s\n' "${ACME_EMAIL:-}"
  } >"$PROXY_ENV.new"
  mv -f "$PROXY_ENV.new" "$PROXY_ENV"
}

# The image the unit ran with before this run (empty at first boot): the data volume's record, else (an install
# from before it was kept) the unit's settings.
previous_image() {
  if [[ -s $STATE_DIR/keycloak-image ]]; then
    cat "$STATE_DIR/keycloak-image"
  else
    sed -n 's/^KEYCLOAK_IMAGE=//p' "$CONF_DIR/runtime.env" 2>/dev/null || true
  fi
}

# The Keycloak version of an image name: the tag, up to the build hash of a local image.
image_version() {
  local tag=${1##*:}
  printf '%s' "${tag%%-*}"
}

# What Keycloak runs with: its unit and the two env files (not the proxy's: a new admin CIDR restarts only Caddy);
# a cluster node's RDS CA bundle too.
keycloak_inputs() {
  local files=("$UNIT" "$CONF_DIR/keycloak.env" "$CONF_DIR/runtime.env")
  if [[ $PROFILE == cluster ]]; then files+=("$RDS_CA_BUNDLE"); fi
  cat "${files[@]}" | sha256sum
}

# Enables a unit and (re)starts it only if what it runs with ($3, a hash) changed since the hash recorded in $2, so
# a re-run leaves a running unit alone. $4 names it in the log; $5, if given, is the command that restarts it.
restart_if_changed() {
  local unit=$1 record=$2 inputs=$3 name=$4 restart=${5:-}
  systemctl daemon-reload
  systemctl enable "$unit"
  if systemctl is-active --quiet "$unit" && [[ $(cat "$record" 2>/dev/null) == "$inputs" ]]; then
    log "$name is running with these settings already"
  else
    log "starting $name"
    if [[ -n $restart ]]; then "$restart"; else systemctl restart "$unit"; fi
  fi
  printf '%s' "$inputs" >"$record"
}

# The realm file is not among Keycloak's inputs: --import-realm skips an existing realm, and apply_realm reconciles
# it into the running one.
start_keycloak() { restart_if_changed keycloak.service "$STATE_DIR/applied" "$(keycloak_inputs)" Keycloak; }

# What Caddy runs with: its Caddyfile, env file and unit, and the certificate files it reads at start only (Caddy
# watches no file), so a renewed self-signed or supplied certificate restarts it.
proxy_inputs() {
  local files=("$CADDYFILE" "$PROXY_ENV" "$PROXY_UNIT")
  if [[ $TLS_MODE != acme ]]; then files+=("$TLS_DIR/tls.crt" "$TLS_DIR/tls.key"); fi
  cat "${files[@]}" | sha256sum
}

# Starts the proxy in front of Keycloak, restarted only if what it runs with changed. Its storage is made here too,
# for an install without a data volume (keycloak-data.sh makes it on the volume).
start_proxy() {
  install -d -m 0700 "$CADDY_DIR"
  restart_if_changed caddy.service "$STATE_DIR/proxy-applied" "$(proxy_inputs)" "the proxy (Caddy)" restart_proxy
}

# A Caddyfile Caddy rejects would have the unit fail and restart every 5 s while the boot reports success: it is
# checked first, offline, by the image the unit runs, with the same files. Then the unit must stay up (a port taken
# or a storage error stops Caddy at once), watched for PROXY_SETTLE seconds.
restart_proxy() {
  local output
  output=$(docker run --rm --network none --env-file "$PROXY_ENV" --volume "$CADDYFILE:/etc/caddy/Caddyfile:ro" \
    --volume "$TLS_DIR:/etc/caddy/tls:ro" "$PROXY_IMAGE" caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile 2>&1) ||
    fail "Caddy rejects $CADDYFILE: ${output##*$'\n'}"
  systemctl restart caddy.service
  # poll_until succeeds only if the unit went down.
  if poll_until "$PROXY_SETTLE" 1 report_proxy_settling proxy_down; then
    fail "the proxy (Caddy) went down after its start: caddy.service is $(systemctl is-active caddy.service || true) (see: journalctl -u caddy)"
  fi
}
proxy_down() { ! systemctl is-active --quiet caddy.service; }
report_proxy_settling() { log "checking that the proxy stays up ($1 s)"; }

# Caddy's certificate for the address from the configured CA, in its storage (certmagic's
# certificates/<issuer key>/<name>/<name>.crt, one per CA and name, replaced at renewal), printed as a path.
acme_certificate() {
  local name=${KEYCLOAK_HOST,,}
  printf '%s' "$CADDY_DIR/caddy/certificates/$ACME_ISSUER_KEY/$name/$name.crt"
}
# An expired one (an instance stopped longer than a short-lived certificate lasts) is still awaited.
has_acme_certificate() { openssl x509 -in "$(acme_certificate)" -noout -checkend 0 >/dev/null 2>&1; }
report_certificate() { log "waiting for the ACME certificate for $KEYCLOAK_HOST ($1 s)"; }

# Caddy's last ACME error (obtaining or renewing), for the reason a certificate is missing: its "error" field, else
# the whole line. Other errors, such as Keycloak not answering yet, are not the CA's.
proxy_error() {
  local line
  line=$(docker logs caddy 2>&1 | grep -E '"logger":"tls\.(obtain|renew|issuance)' | grep '"level":"error"' | tail -n 1) || true
  if [[ $line =~ \"error\":\"([^\"]*)\" ]]; then line=${BASH_REMATCH[1]}; fi
  printf '%s' "${line:0:300}"
}

# In acme mode: waits CERT_WAIT seconds at most for Caddy's first certificate and says what it is, or why there is
# none yet. A CA that has not issued (rate limit, DNS not pointing here yet, port 80 closed) does not fail the boot:
# Caddy keeps retrying with backoff. CERTIFICATE_STATUS tells report_status.
await_certificate() {
  [[ $TLS_MODE == acme ]] || return 0
  local file issuer expiry reason meanwhile
  if poll_until "$CERT_WAIT" "$CERT_POLL" report_certificate has_acme_certificate; then
    file=$(acme_certificate)
    issuer=$(openssl x509 -in "$file" -noout -issuer)
    expiry=$(openssl x509 -in "$file" -noout -enddate)
    CERTIFICATE_STATUS="issued by ${issuer#issuer=}, expires ${expiry#notAfter=}"
    log "certificate for $KEYCLOAK_HOST: $CERTIFICATE_STATUS"
    return 0
  fi
  reason=$(proxy_error)
  reason=${reason:-no error logged yet}
  # A hostname's clients get Caddy's internal certificate for the fallback name; an IP address's clients send no
  # SNI, which the fallback cannot serve (src/boot/proxy.ts, fallbackSni).
  if [[ -n ${KEYCLOAK_HOSTNAME:-} ]]; then
    meanwhile="clients get a self-signed certificate meanwhile"
  else
    meanwhile="HTTPS handshakes fail meanwhile"
  fi
  CERTIFICATE_STATUS="pending: $reason"
  log "WARNING: the CA has not issued a certificate for $KEYCLOAK_HOST after $CERT_WAIT s (last error: $reason). Caddy keeps retrying with backoff; $meanwhile (see: docker logs caddy)"
}

keycloak_ready() { curl -fs --max-time 5 "http://127.0.0.1:9000/health/ready" >/dev/null 2>&1; }
report_readiness() { log "waiting for Keycloak to be ready ($1 s, service $(systemctl is-active keycloak.service || true))"; }

# Succeeds once Keycloak's management interface says ready; fails after READY_WAIT seconds.
ready_within() { poll_until "$READY_WAIT" "$READY_POLL" report_readiness keycloak_ready; }

wait_until_ready() {
  ready_within || fail "Keycloak was not ready within $READY_WAIT s (see: journalctl -u keycloak)"
  log "Keycloak is ready at https://$(url_host "$KEYCLOAK_HOST") (admin console: /admin/master/console/)"
}

# A new Keycloak version on a running production install: a logical backup first, then the new version, which
# migrates the schema at start; if it is not ready in time, the previous image and the pre-upgrade backup come back
# (a migrated schema cannot run the older version). Each step is logged.
upgrade_keycloak() {
  local old=$1 new=$2 backup
  log "upgrading Keycloak from $(image_version "$old") to $(image_version "$new"): a backup first"
  backup=$(backup_database "pre-upgrade-$(image_version "$old")-to-$(image_version "$new")") || exit 1
  log "pre-upgrade backup: $backup"
  write_runtime_env "$new"
  start_keycloak
  if ready_within; then
    log "Keycloak $(image_version "$new") is ready: upgrade done"
    return 0
  fi
  log "Keycloak $(image_version "$new") was not ready within $READY_WAIT s: going back to $(image_version "$old")"
  write_runtime_env "$old"
  restore_database "$backup"
  wait_until_ready
  keycloak_inputs >"$STATE_DIR/applied"
  fail "the upgrade to $(image_version "$new") failed (journalctl -u keycloak tells why): Keycloak $(image_version "$old") runs again on the pre-upgrade backup $backup; keycloak.version in the config still says $(image_version "$new")"
}

# A production install moving from one Keycloak version to another (not the first boot, not a rebuild).
is_upgrade() {
  [[ $PROFILE == production && -n $1 && $(image_version "$1") != "$(image_version "$2")" ]]
}

# The daily logical backup (production): keycloak-backup.timer runs keycloak-backup.service.
enable_backups() {
  [[ $PROFILE == production ]] || return 0
  systemctl daemon-reload
  systemctl enable --now keycloak-backup.timer
}

# Where report_status writes in STATUS_BUCKET: STATUS_KEY, or a cluster node's own key (node_status_key).
status_key() { if [[ $PROFILE == cluster ]]; then node_status_key; else printf '%s' "$STATUS_KEY"; fi; }

# What the boot last did, for `npm run wait` on the operator's machine: the state (applied or failed), the Keycloak
# version, the realm, the bundle's hash (Terraform's boot_bundle_sha256 output), the ACME certificate (issued by
# whom until when, or pending and why; empty outside acme mode) and, on failure, the reason. Uploaded to
# STATUS_BUCKET when set, at status_key; an upload that fails is logged and never fails the boot.
report_status() {
  [[ -n ${STATUS_BUCKET:-} ]] || return 0
  local state=$1 message=${2:-} bundle_sha="" realm="" realm_files running status key
  key=$(status_key) || {
    log "cannot report this node's status: the instance metadata gives no instance id"
    return 0
  }
  # What runs: after a failed upgrade, the previous version again; before any start, the configured one.
  running=$(previous_image)
  if [[ -f $BUNDLE ]]; then
    bundle_sha=$(sha256sum <"$BUNDLE")
    bundle_sha=${bundle_sha%% *}
  fi
  realm_files=("$IMPORT_DIR"/*-realm.json)
  if [[ -f ${realm_files[0]} ]]; then
    realm=${realm_files[0]##*/}
    realm=${realm%-realm.json}
  fi
  status=$(python3 -c 'import json, sys; print(json.dumps(dict(zip(
    ["state", "keycloakVersion", "realm", "bundleSha256", "certificate", "message", "at"], sys.argv[1:]))))' \
    "$state" "$(image_version "${running:-$KEYCLOAK_IMAGE}")" "$realm" "$bundle_sha" "${CERTIFICATE_STATUS:-}" "$message" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
  printf '%s\n' "$status" | s3_write "$key" application/json ||
    log "cannot upload the boot's status to s3://$STATUS_BUCKET/$key"
}

on_failure() {
  report_status failed "$1"
  if [[ $PROFILE == cluster ]]; then
    upload_boot_log
    complete_launch ABANDON
  fi
}

main() {
  if [[ $PROFILE == cluster ]]; then
    cluster_main
    return
  fi
  log "boot of the $PROFILE profile"
  add_swap_if_small
  wait_for_elastic_ip
  install_packages
  # Before anything stateful: PostgreSQL, the certificate and the boot's state go onto the data volume.
  setup_data_volume
  install -d -m 0700 "$STATE_DIR"
  if [[ $PROFILE == production ]]; then setup_postgresql; fi
  resolve_addresses
  setup_tls
  # The images exist before the units are pointed at them: a failed download or build leaves the running version alone.
  prepare_image
  local old_image
  old_image=$(previous_image)
  write_environment
  write_proxy_env
  # The proxy first: it does not need Keycloak (502 meanwhile), gets its certificate in parallel, and serves 443 even
  # if an upgrade below fails.
  start_proxy
  local new_image
  new_image=$(run_image)
  # Not `if upgrade_keycloak`: set -e does not apply inside a function run as a condition.
  if is_upgrade "$old_image" "$new_image"; then upgrade_keycloak "$old_image" "$new_image"; else start_keycloak; fi
  wait_until_ready
  await_certificate
  apply_realm
  enable_backups
  report_status applied
  log "Keycloak ${KEYCLOAK_IMAGE##*:} running, its configuration applied"
}

# Sourced (by the tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
