#!/bin/bash
# keycloak-ec2: makes the running Keycloak's application realm match the realm file in /opt/keycloak-ec2/import,
# through Keycloak's admin REST API. --import-realm only imports a realm that does not exist yet; this applies every
# later change (a redirect URI, a new client, a rotated client secret) to the running server. The boot calls
# apply_realm once Keycloak is ready; by hand, `keycloak-realm.sh --force` applies the file again even if unchanged
# (after a restore, or to undo changes made in the admin console).
#
# What it does, with Keycloak's own partial import (services/.../partialimport in keycloak/keycloak):
# - A missing realm is created whole: POST /admin/realms with the file.
# - An existing one gets the file's realm settings (PUT /admin/realms/{realm}: partial import only reads users,
#   groups, clients, roles, identityProviders, identityProviderMappers: PartialImportRepresentation), then
#   POST /admin/realms/{realm}/partialImport with "ifResourceExists": "OVERWRITE". OVERWRITE deletes each client of
#   the file that exists (and its service-account user) and creates it again from the file with a new internal id
#   (ClientsPartialImport.remove/create): the client's sessions end, and roles granted to it by hand are lost. The
#   file declares each service-account user, so the user is created again, linked to the new client (without it,
#   client_credentials fails: "The associated service account for the client does not exist", keycloak#46674).
#   Users, roles and clients that the file does not name are left alone.
# - Clients removed from the config: every client the file declares carries the attribute keycloak-ec2.managed. A
#   client that has it and is no longer in the file is DISABLED, not deleted: it stops issuing tokens and its secret
#   stops working, as removing it from the config means, while its settings stay for an operator to look at,
#   re-enable or delete in the admin console. Putting it back in the config overwrites and enables it again.
#   Clients without the attribute (Keycloak's own, or made in the admin console) are never touched.
# Only a changed file (or changed client secrets) is applied: the hash of what was sent is kept in STATE_DIR, or, for
# a cluster, in the bucket beside the boot's report (REALM_HASH_KEY), shared by the nodes, one of which applies each
# change (claim_realm).
set -Eeuo pipefail

# keycloak-boot.sh sources this file after keycloak-common.sh, whose readonly variables cannot be set twice.
if [[ -z ${STATE_DIR:-} ]]; then
  # shellcheck source=keycloak-common.sh
  . "$(dirname "${BASH_SOURCE[0]}")/keycloak-common.sh"
fi

readonly REALM_APPLIED=$STATE_DIR/realm-applied
readonly MANAGED_ATTRIBUTE=keycloak-ec2.managed

# The request bodies, in $work (mode 0700, removed on exit): the realm file with its secret placeholders filled (as
# Keycloak fills them from its environment at import) and the managed marker on each client; the admin login form.
# The secrets come through the environment, never as arguments.
prepare_realm_requests() {
  python3 - "$1" "$work" "$MANAGED_ATTRIBUTE" "$ADMIN_USER" <<'PY'
import json, os, re, sys
from urllib.parse import quote, urlencode
source, work, marker, admin = sys.argv[1:]
with open(os.path.join(work, "login"), "w") as out:
    out.write(urlencode({"grant_type": "password", "client_id": "admin-cli", "username": admin,
                         "password": os.environ["ADMIN_PASSWORD"]}))
text = open(source, encoding="utf-8").read()
for name in ("BFF_CLIENT_SECRET", "SERVICE_CLIENT_SECRET"):
    text = text.replace("${%s}" % name, os.environ[name])
unknown = re.search(r"\$\{[^}]*\}", text)
if unknown:
    sys.exit(f"{source} has a placeholder the boot cannot fill: {unknown.group(0)}")
try:
    realm = json.loads(text)
except ValueError as error:
    sys.exit(f"{source} is not JSON: {error}")
for client in realm.get("clients", []):
    client.setdefault("attributes", {})[marker] = "true"
# What partial import reads; the rest are the realm's own settings.
PARTIAL = {"users", "groups", "clients", "roles", "identityProviders", "identityProviderMappers"}
bodies = {
    "realm.json": realm,
    "settings.json": {k: v for k, v in realm.items() if k not in PARTIAL},
    "partial.json": {**realm, "ifResourceExists": "OVERWRITE"},
}
for name, body in bodies.items():
    with open(os.path.join(work, name), "w", encoding="utf-8") as out:
        json.dump(body, out, sort_keys=True)
with open(os.path.join(work, "realm-name"), "w") as out:
    out.write(realm["realm"])
with open(os.path.join(work, "realm-path"), "w") as out:
    out.write(quote(realm["realm"], safe=""))
PY
}

# Keycloak's message in $work/response, on one line: errorMessage (admin API), error_description or error (OAuth).
keycloak_error() {
  python3 - "$work/response" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    body = json.loads(text)
    message = body.get("errorMessage") or body.get("error_description") or body.get("error") or text
except (ValueError, AttributeError):
    message = text
print(" ".join(str(message).split())[:300] or "no message")
PY
}

# One request to Keycloak's plain-HTTP listener on loopback (KEYCLOAK_HTTP_URL), never through the proxy, which
# refuses /admin/ to addresses outside the admin CIDRs: METHOD PATH [BODY_FILE] (a .json file is sent as JSON, any
# other as a form). Keycloak's `external` SSL requirement lets a loopback client in over HTTP, and --hostname makes the
# tokens' issuer the public URL whatever address asked. Secrets and the token go in files (@file), never in argv.
# Sets `status`, the answer in $work/response. Returns 1 for what a retry may cure (no answer yet, 5xx).
keycloak_call() {
  local method=$1 path=$2 body=${3:-} code rc=0
  local args=(--silent --show-error --connect-timeout 10 --max-time 60 --request "$method"
    --output "$work/response" --write-out '%{http_code}')
  if [[ $path == /admin/* ]]; then args+=(--header "@$work/authorization"); fi
  if [[ $body == *.json ]]; then args+=(--header 'Content-Type: application/json'); fi
  if [[ -n $body ]]; then args+=(--data-binary "@$body"); fi
  : >"$work/response"
  code=$(curl "${args[@]}" "$KEYCLOAK_HTTP_URL$path" 2>"$work/curl-error") || rc=$?
  if ((rc != 0)); then
    log "no answer from Keycloak to $method $path: $(head -n 1 "$work/curl-error")"
    return 1
  fi
  status=$code
  if ((status >= 500)); then
    log "Keycloak answered $status to $method $path: $(keycloak_error)"
    return 1
  fi
}

# What a partial import did, from its answer (PartialImportResults: added, overwritten, skipped, results).
import_summary() {
  python3 - "$work/response" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
print("%d added, %d overwritten" % (results.get("added", 0), results.get("overwritten", 0)))
PY
}

# An access token of the bootstrap admin (master realm, admin-cli), as a header file for curl (-H @file).
admin_login() {
  retry keycloak_call POST /realms/master/protocol/openid-connect/token "$work/login"
  [[ $status == 200 ]] ||
    fail "Keycloak refused the login of its admin $ADMIN_USER (HTTP $status: $(keycloak_error)): the realm was not applied"
  python3 - "$work/response" "$work/authorization" <<'PY'
import json, sys
token = json.load(open(sys.argv[1]))["access_token"]
with open(sys.argv[2], "w") as out:
    out.write(f"Authorization: Bearer {token}\n")
PY
  logged_in_at=$SECONDS
}

# An admin API call, expecting one of the given statuses: admin_call METHOD PATH BODY|"" WHAT STATUS...
admin_call() {
  local method=$1 path=$2 body=$3 what=$4 expected
  shift 4
  # The admin-cli token lives 60 s by default (master realm): a fresh one for calls after retries.
  if ((SECONDS - logged_in_at > 30)); then admin_login; fi
  retry keycloak_call "$method" "$path" "$body"
  for expected in "$@"; do [[ $status != "$expected" ]] || return 0; done
  fail "Keycloak refused to $what (HTTP $status: $(keycloak_error))"
}

# Disables the managed clients (marked by this script) that the file no longer declares; logs each.
disable_removed_clients() {
  local realm=$1 path=$2 id client_id
  admin_call GET "/admin/realms/$path/clients" "" "list the clients of realm $realm" 200
  python3 - "$work/response" "$work/realm.json" "$work" "$MANAGED_ATTRIBUTE" >"$work/removed" <<'PY'
import json, os, sys
present, realm, work, marker = sys.argv[1:]
declared = {c["clientId"] for c in json.load(open(realm)).get("clients", [])}
for client in json.load(open(present)):
    if client.get("attributes", {}).get(marker) != "true" or client["clientId"] in declared:
        continue
    if client.get("enabled", True):
        client["enabled"] = False
        with open(os.path.join(work, "disable-%s.json" % client["id"]), "w") as out:
            json.dump(client, out)
        print(client["id"], client["clientId"], "enabled")
    else:
        print(client["id"], client["clientId"], "disabled")
PY
  while read -r id client_id state; do
    if [[ $state == enabled ]]; then
      admin_call PUT "/admin/realms/$path/clients/$id" "$work/disable-$id.json" "disable client $client_id" 204
      log "client $client_id of realm $realm is no longer in the configuration: disabled it (delete it in the admin console to remove it)"
    else
      log "client $client_id of realm $realm is no longer in the configuration and stays disabled"
    fi
  done <"$work/removed"
}

# The hash of what was last applied (empty if nothing was): on this instance, or for a cluster in the bucket. A
# record that cannot be read counts as none: the realm is applied again, which changes nothing.
applied_realm_hash() {
  if [[ $PROFILE == cluster ]]; then
    s3_read "$REALM_HASH_KEY" || true
  else
    cat "$REALM_APPLIED" 2>/dev/null || true
  fi
}

# Records $1 as applied. A cluster's record that cannot be written is logged, not fatal: the realm is applied, and the
# next node to boot applies it again, which changes nothing.
record_realm_hash() {
  if [[ $PROFILE == cluster ]]; then
    printf '%s' "$1" | s3_write "$REALM_HASH_KEY" ||
      log "cannot record the realm's hash in s3://$STATUS_BUCKET/$REALM_HASH_KEY: the next node applies it again"
  else
    printf '%s' "$1" >"$REALM_APPLIED"
  fi
}

# Where a cluster node claims the apply of a realm hash: "<hash> <instance id> <epoch seconds>".
realm_claim_key() { printf '%s' "${REALM_HASH_KEY%.sha256}.claim"; }

# Several nodes boot at once with the same realm file: an instance refresh launches its new nodes together, a
# scale-out several. Each one that finds the file not yet applied claims it in the bucket, waits REALM_CLAIM_SETTLE
# seconds for the others' claims to land (S3 reads see every write that completed before them), and applies it only
# if its own claim is still the last: so one node applies each change, the others wait for its record
# (claim_or_await_realm). A claim younger than REALM_CLAIM_TTL holds the others off; an older one (its node died mid-apply) is
# taken over. What a race past this costs (a node's S3 calls slower than REALM_CLAIM_SETTLE): two nodes apply the
# same file at once, each apply idempotent, but Keycloak may refuse one of the two concurrent overwrites of a client
# (409 or 500), failing that node's boot (its status says so) while the other's apply stands; running the boot again
# on it finds the realm applied. Bounded: only nodes whose claims land within REALM_CLAIM_SETTLE of each other race.
# Returns 0 if this node is to apply $1, 1 if another node is on it.
claim_realm() {
  local hash=$1 node=$2 key claim claimed_hash claimed_by claimed_at
  key=$(realm_claim_key)
  claim=$(s3_read "$key") || claim=""
  read -r claimed_hash claimed_by claimed_at <<<"$claim" || true
  if [[ $claimed_hash == "$hash" && $claimed_by != "$node" && $claimed_at =~ ^[0-9]+$ ]] &&
    (($(date +%s) - claimed_at < REALM_CLAIM_TTL)); then
    CLAIMED_BY=$claimed_by
    return 1
  fi
  # A claim that cannot be written: apply anyway (at worst the race above).
  printf '%s %s %s\n' "$hash" "$node" "$(date +%s)" | s3_write "$key" || return 0
  sleep "$REALM_CLAIM_SETTLE"
  claim=$(s3_read "$key") || return 0
  read -r claimed_hash claimed_by _ <<<"$claim" || true
  [[ $claimed_hash == "$hash" && $claimed_by != "$node" ]] || return 0
  CLAIMED_BY=$claimed_by
  return 1
}

# Whether the shared record says $1 is applied.
realm_recorded() { [[ $(applied_realm_hash) == "$1" ]]; }
report_realm_wait() { log "realm: waiting for node $CLAIMED_BY to apply it ($1 s)"; }

# A cluster node: applies the realm if it wins the claim; else waits for the winner's record, and claims again if
# the winner's claim expired without one. Returns 0 if this node is to apply it, 1 if another node has.
claim_or_await_realm() {
  local hash=$1 node started=$SECONDS
  node=$(node_id) || fail "cannot read the instance's id from the instance metadata"
  until claim_realm "$hash" "$node"; do
    if poll_until "$REALM_CLAIM_TTL" "$REALM_POLL" report_realm_wait realm_recorded "$hash"; then
      log "realm: applied by node $CLAIMED_BY"
      return 1
    fi
    ((SECONDS - started < REALM_WAIT)) ||
      fail "realm: node $CLAIMED_BY claimed its apply, but has not recorded it after $REALM_WAIT s (see its boot's output)"
  done
}

# The entry point: applies the realm file to the running Keycloak if it changed since the last success (or with
# --force). Exits (status 1, after its FAILED line) if it cannot.
apply_realm() { (reconcile_realm "$@") || exit; }

# In a subshell: its temporary files (0600: secrets, the token) are removed however it ends.
reconcile_realm() {
  umask 077
  local files admin_secret bff_secret service_secret hash realm path status="" logged_in_at=-1000
  # Not local: the EXIT trap runs once this function has returned.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  shopt -s nullglob
  files=("$IMPORT_DIR"/*.json)
  ((${#files[@]} == 1)) || fail "expected one realm file in $IMPORT_DIR, found ${#files[@]}"

  # `|| exit 1`: run as `(reconcile_realm) || exit`, this function has neither set -e nor the ERR trap, and an
  # unread secret would otherwise be imported as an empty one.
  admin_secret=$(secret admin-password) || exit 1
  bff_secret=$(secret bff-client-secret) || exit 1
  service_secret=$(secret service-client-secret) || exit 1
  ADMIN_PASSWORD=$admin_secret BFF_CLIENT_SECRET=$bff_secret SERVICE_CLIENT_SECRET=$service_secret \
    prepare_realm_requests "${files[0]}" 2>"$work/error" || fail "$(tail -n 1 "$work/error")"
  realm=$(<"$work/realm-name")
  path=$(<"$work/realm-path")
  hash=$(sha256sum <"$work/realm.json")
  # The bucket's record holds the hash alone (the instance's keeps sha256sum's line, as it always has).
  if [[ $PROFILE == cluster ]]; then hash=${hash%% *}; fi
  if [[ ${1:-} != --force ]]; then
    if [[ $(applied_realm_hash) == "$hash" ]]; then
      log "realm $realm: as configured already (the file is unchanged since it was applied)"
      exit 0
    fi
    if [[ $PROFILE == cluster ]]; then claim_or_await_realm "$hash" || exit 0; fi
  fi

  admin_login
  admin_call GET "/admin/realms/$path" "" "look up realm $realm" 200 404
  if [[ $status == 404 ]]; then
    log "realm $realm: missing, creating it from ${files[0]}"
    admin_call POST /admin/realms "$work/realm.json" "create realm $realm" 201
  else
    log "realm $realm: applying ${files[0]} (realm settings, then a partial import that overwrites its clients and users)"
    admin_call PUT "/admin/realms/$path" "$work/settings.json" "update the settings of realm $realm" 204
    admin_call POST "/admin/realms/$path/partialImport" "$work/partial.json" "import into realm $realm" 200
    log "realm $realm: $(import_summary)"
    disable_removed_clients "$realm" "$path"
  fi
  record_realm_hash "$hash"
  log "realm $realm: applied"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then apply_realm "$@"; fi
