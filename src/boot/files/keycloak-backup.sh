#!/bin/bash
# keycloak-ec2: logical backups of Keycloak's PostgreSQL database, and restores of them.
#   keycloak-backup.sh backup [LABEL]   pg_dump -Fc to the data volume, then to S3; prints where it went (last line)
#   keycloak-backup.sh restore SOURCE   an s3:// URI, a backup's name under BACKUP_PREFIX, or a local file
#   keycloak-backup.sh list             the backups in S3 (or on the volume without a bucket), newest last
# keycloak-backup.timer runs `backup daily`; the boot sources this file and calls backup_database before a Keycloak
# version change and restore_database to go back. Exit codes: 0 done, 1 refused or failed (one FAILED line says why).
# The dev profile has no PostgreSQL: its H2 data lives on the data volume, which the EBS snapshots cover.
set -Eeuo pipefail
umask 077

# The boot sources this file after keycloak-common.sh: its readonly paths cannot be declared twice.
if [[ ! -v CONF_DIR ]]; then
  # shellcheck source=keycloak-common.sh
  . "$(dirname "${BASH_SOURCE[0]}")/keycloak-common.sh"
fi

readonly BACKUP_DIR=${DATA_DIR:-$ROOT/srv/keycloak-ec2}/backups
# Local dumps kept on the volume (the pre-upgrade ones among them); S3 keeps them for the bucket's retention.
readonly LOCAL_BACKUPS=7
# Only these are ever pruned: a dump in progress or a download has a hidden name.
readonly DUMP_GLOB='[0-9]*T[0-9]*Z*.dump'

# PostgreSQL's client programs as the postgres superuser, by peer authentication over the local socket. runuser
# (not sudo) keeps the environment: the tests point libpq's PGHOST and PGPORT at a scratch server. From /: the
# programs fail where postgres may not read the working directory (SSM runs commands from root's directories).
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
# SQL as postgres on its own database; without the NOTICEs of DROP ... IF EXISTS.
admin_sql() { PGOPTIONS='-c client_min_messages=warning' as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@" >/dev/null; }

no_postgresql() {
  [[ $PROFILE != production ]] || return 1
  log "the $PROFILE profile has no PostgreSQL: Keycloak's data (H2) is on the data volume, which only the EBS snapshots cover"
}

s3_uri() { printf 's3://%s/%s/%s' "$BACKUP_BUCKET" "${BACKUP_PREFIX:?the settings name a backup bucket but no BACKUP_PREFIX}" "$1"; }

# Keeps the newest LOCAL_BACKUPS dumps: the names start with their UTC time, so the glob's order is their age.
prune_local_backups() {
  local dumps old
  mapfile -t dumps < <(compgen -G "$BACKUP_DIR/$DUMP_GLOB" | sort)
  old=$((${#dumps[@]} - LOCAL_BACKUPS))
  ((old > 0)) || return 0
  log "removing the $old oldest local dumps (S3 keeps them for the bucket's retention)"
  rm -f -- "${dumps[@]:0:old}"
}

# Dumps database keycloak to $BACKUP_DIR/<UTC time>[-LABEL].dump, uploads it, prints its S3 URI (or its path without
# a bucket) as the last line of stdout. pg_dump takes a consistent snapshot: Keycloak keeps running.
backup_database() {
  local label=${1:-} name dump partial
  if no_postgresql; then return 0; fi
  [[ -z $label || $label =~ ^[A-Za-z0-9._-]+$ ]] || fail "backup label '$label': letters, digits, '.', '_' and '-' only"
  name=$(date -u +%Y%m%dT%H%M%SZ)${label:+-$label}.dump
  dump=$BACKUP_DIR/$name
  partial=$BACKUP_DIR/.$name.partial
  install -d -m 0700 "$BACKUP_DIR"
  log "dumping database keycloak to $dump"
  # The redirection is root's: the file is root's, 0600 (umask), and postgres needs no access to the directory.
  if ! as_postgres pg_dump --format=custom --dbname=keycloak >"$partial"; then
    rm -f -- "$partial"
    fail "pg_dump of database keycloak failed (is postgresql.service running?)"
  fi
  chmod 0600 "$partial"
  # Only a complete dump ever has a final name.
  mv -f -- "$partial" "$dump"
  prune_local_backups
  if [[ -z ${BACKUP_BUCKET:-} ]]; then
    log "no backup bucket: the dump stays on the data volume only"
    printf '%s\n' "$dump"
    return 0
  fi
  log "uploading it to $(s3_uri "$name")"
  # Encrypted by the bucket's default encryption; the bucket's versioning keeps an overwritten object.
  retry aws s3 cp --only-show-errors --region "$AWS_REGION" "$dump" "$(s3_uri "$name")" >&2
  printf '%s\n' "$(s3_uri "$name")"
}

# Downloads $1 (an s3:// URI) to $2. A missing object (404, or 403 for a role that may not list the prefix) is a
# wrong name, refused at once; anything else may be the network, retried.
download_backup() {
  local error
  if error=$(aws s3 cp --only-show-errors --region "$AWS_REGION" "$1" "$2" 2>&1 >/dev/null); then return 0; fi
  if [[ $error == *"(404)"* || $error == *"(403)"* ]]; then
    fail "no backup at $1 that the instance role can read (keycloak-backup.sh list shows them)"
  fi
  log "$error"
  retry aws s3 cp --only-show-errors --region "$AWS_REGION" "$1" "$2" >&2
}

# The local file a restore SOURCE names, downloaded to $BACKUP_DIR/.download.dump if it is in S3.
backup_file() {
  local source=$1 uri
  if [[ $source == s3://* ]]; then
    uri=$source
  elif [[ $source == */* || -f $source ]]; then
    [[ -f $source ]] || fail "no backup file $source"
    printf '%s' "$source"
    return 0
  elif [[ -f $BACKUP_DIR/$source ]]; then
    printf '%s' "$BACKUP_DIR/$source"
    return 0
  elif [[ -n ${BACKUP_BUCKET:-} && $source =~ ^[A-Za-z0-9._-]+$ ]]; then
    uri=$(s3_uri "$source")
  else
    fail "no backup named $source on the data volume${BACKUP_BUCKET:+ or under $(s3_uri "")}"
  fi
  install -d -m 0700 "$BACKUP_DIR"
  log "downloading $uri"
  download_backup "$uri" "$BACKUP_DIR/.download.dump"
  printf '%s' "$BACKUP_DIR/.download.dump"
}

# Restores a backup (see backup_file) as database keycloak. It is restored into keycloak_restore while Keycloak
# runs on, so a bad archive changes nothing; only then Keycloak stops, the databases swap names (the replaced one
# stays as keycloak_previous until the next restore) and Keycloak starts again, on the image runtime.env names.
restore_database() {
  local source=${1:-} file
  [[ -n $source ]] || fail "restore needs a backup: an s3:// URI, a backup's name or a file"
  if no_postgresql; then fail "nothing to restore into: restore the data volume from an EBS snapshot instead"; fi
  # `|| exit 1`: backup_file said why already, the ERR trap would say it again.
  file=$(backup_file "$source") || exit 1
  pg_restore --list "$file" >/dev/null 2>&1 || {
    rm -f -- "$BACKUP_DIR/.download.dump"
    fail "$source is not a pg_dump custom-format archive: nothing changed"
  }
  log "restoring $source into a new database keycloak_restore, owned by keycloak (Keycloak keeps running meanwhile)"
  # template0: a dump restores into an empty database (pg_dump's documentation).
  admin_sql <<'SQL' || fail "cannot create database keycloak_restore (role keycloak exists once the boot ran)"
DROP DATABASE IF EXISTS keycloak_restore WITH (FORCE);
CREATE DATABASE keycloak_restore OWNER keycloak TEMPLATE template0;
SQL
  # As role keycloak, without the dump's owners and grants: every object is keycloak's, as when Keycloak made it,
  # whichever deployment the dump came from. One transaction: an archive that breaks off leaves an empty database.
  if ! as_postgres pg_restore --dbname=keycloak_restore --role=keycloak --no-owner --no-privileges \
    --exit-on-error --single-transaction <"$file"; then
    admin_sql -c 'DROP DATABASE IF EXISTS keycloak_restore WITH (FORCE)' || true
    rm -f -- "$BACKUP_DIR/.download.dump"
    fail "the restore of $source failed: Keycloak was left running on its database"
  fi
  rm -f -- "$BACKUP_DIR/.download.dump"
  log "stopping keycloak.service"
  systemctl stop keycloak.service
  log "replacing database keycloak with the restored one (the replaced one is kept as keycloak_previous)"
  # The renames in one transaction: there is a database keycloak before and after, never none. A rename waits
  # (5 s at most) for the sessions it terminated to end.
  if ! admin_sql <<'SQL'; then
DROP DATABASE IF EXISTS keycloak_previous WITH (FORCE);
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'keycloak';
BEGIN;
SELECT 'ALTER DATABASE keycloak RENAME TO keycloak_previous' WHERE EXISTS (SELECT FROM pg_database WHERE datname = 'keycloak')\gexec
ALTER DATABASE keycloak_restore RENAME TO keycloak;
COMMIT;
SQL
    systemctl start keycloak.service
    fail "cannot swap keycloak_restore in for database keycloak: Keycloak started again on its database"
  fi
  log "starting keycloak.service"
  systemctl start keycloak.service
  log "restored $source (DROP DATABASE keycloak_previous frees the space of the replaced database)"
}

# The backups in S3 under the prefix (the names start with their UTC time: S3's order is their age), else the local
# dumps.
list_backups() {
  if no_postgresql; then return 0; fi
  if [[ -z ${BACKUP_BUCKET:-} ]]; then
    compgen -G "$BACKUP_DIR/$DUMP_GLOB" | sort || log "no backups in $BACKUP_DIR"
    return 0
  fi
  local listing status=0
  listing=$(aws s3 ls --region "$AWS_REGION" "$(s3_uri "")") || status=$?
  # aws s3 ls says nothing and exits 1 when nothing matches; an error has its own message on stderr.
  if ((status == 1)) && [[ -z $listing ]]; then
    log "no backups under $(s3_uri "")"
  elif ((status != 0)); then
    fail "cannot list $(s3_uri "") with the instance role"
  else
    printf '%s\n' "$listing"
  fi
}

main() {
  case ${1:-} in
    backup) backup_database "${2:-}" ;;
    restore) restore_database "${2:-}" ;;
    list) list_backups ;;
    *) fail "usage: keycloak-backup.sh backup [LABEL] | restore SOURCE | list" ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
