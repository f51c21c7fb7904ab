#!/usr/bin/env bash
# Back up the SalesGoals PostgreSQL database: one pg_dump archive in custom format (-Fc:
# compressed, restorable table by table, in parallel), read back with `pg_restore --list`
# before it counts as written, with a .sha256 beside it; dumps older than BACKUP_KEEP_DAYS
# are removed.
#
#   deploy/backup.sh [DIR]            # default DIR: $BACKUP_DIR or ./backups
#
# Environment: DATABASE_URL (else read from .env), BACKUP_KEEP_DAYS (default 14, 0 = keep
# every dump). Prints the archive's path on the last line. pg_dump must be the server's major
# version or newer. Uploaded files (MEDIA_ROOT) are not in the database: back them up with it.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/deploy/_common.sh"

URL="$(database_url)"
DIR="${1:-${BACKUP_DIR:-$ROOT/backups}}"
KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
mkdir -p "$DIR"

NAME="$(database_name "$URL")"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
FILE="$DIR/${NAME}-${STAMP}.dump"
PARTIAL="$FILE.partial"
trap 'rm -f "$PARTIAL"' EXIT

# One consistent snapshot (pg_dump runs in a single repeatable-read transaction); the site
# keeps running meanwhile.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$PARTIAL" "$URL"
# An archive that pg_restore cannot list is not a backup.
TABLES=$(pg_restore --list "$PARTIAL" | grep -c ' TABLE DATA ' || true)
if [ "$TABLES" -eq 0 ]; then
  echo "error: the dump of $NAME has no table data" >&2
  exit 1
fi
mv "$PARTIAL" "$FILE"
(cd "$DIR" && sha256sum "$(basename "$FILE")" > "$(basename "$FILE").sha256")

if [ "$KEEP_DAYS" -gt 0 ]; then
  find "$DIR" -maxdepth 1 -name "${NAME}-*.dump" -mtime +"$KEEP_DAYS" -print0 |
    while IFS= read -r -d '' old; do rm -f "$old" "$old.sha256"; done
fi

echo "backup of $NAME: $TABLES tables, $(du -h "$FILE" | cut -f1)" >&2
echo "$FILE"
