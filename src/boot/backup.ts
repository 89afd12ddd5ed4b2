import { PATHS } from "./unit";

/** Where the daily logical backup's script and units go on the host. */
export const BACKUP_PATHS = {
  /** `backup [LABEL]`, `restore SOURCE`, `list`; the boot sources it for backup_database and restore_database. */
  script: `${PATHS.scriptsDir}/keycloak-backup.sh`,
  service: "/etc/systemd/system/keycloak-backup.service",
  timer: "/etc/systemd/system/keycloak-backup.timer",
} as const;

/**
 * The oneshot service that dumps Keycloak's database (pg_dump -Fc) to the data volume and uploads it to S3. Started
 * by the timer, or by hand (`systemctl start keycloak-backup.service`); a failure shows in `systemctl --failed`.
 */
export function backupService(): string {
  return [
    "[Unit]",
    "Description=Logical backup of Keycloak's PostgreSQL database to S3, by keycloak-ec2",
    "Documentation=https://www.postgresql.org/docs/current/app-pgdump.html",
    // Ordering only: a backup does not start PostgreSQL, it fails (visibly) when PostgreSQL is down.
    "After=postgresql.service network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${BACKUP_PATHS.script} backup daily`,
    // Keycloak's requests come first; a hung upload must not block the next day's run (a running unit is not
    // started again), and oneshot units have no start timeout by default.
    "Nice=10",
    "TimeoutStartSec=1h",
    "",
  ].join("\n");
}

/**
 * Runs the backup once a day, at a random time in the hour after midnight (UTC on Amazon Linux) so that many
 * deployments do not hit S3 at once; `Persistent` runs a backup missed while the instance was off at its next start.
 */
export function backupTimer(): string {
  return [
    "[Unit]",
    "Description=Daily logical backup of Keycloak's database (keycloak-backup.service)",
    "",
    "[Timer]",
    "OnCalendar=daily",
    "RandomizedDelaySec=1h",
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
