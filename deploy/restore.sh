#!/usr/bin/env bash
# Restore a deploy/backup.sh archive into a NEW database on the server of DATABASE_URL, then
# check it: every migration of this code is applied (`manage.py migrate --check`) and the
# Django system checks pass against it. The running database is never touched: switch
# DATABASE_URL to the printed URL (and restart web, worker and beat) once it looks right.
#
#   deploy/restore.sh ARCHIVE.dump [NEW_DATABASE]   # default name: <db>_restored_<UTC time>
#
# Environment: DATABASE_URL (server and credentials; else read from .env), RESTORE_JOBS
# (parallel pg_restore jobs, default 1 = one transaction), RESTORE_VERIFY=0 to skip the
# manage.py checks (e.g. from a container with only the PostgreSQL client), PYTHON (default:
# .venv/bin/python, else python). Fails — and drops the database it created — when the
# archive's checksum, the restore or the checks fail; refuses a name that already exists.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/deploy/_common.sh"

ARCHIVE="${1:?usage: deploy/restore.sh ARCHIVE.dump [NEW_DATABASE]}"
URL="$(database_url)"
SOURCE="$(database_name "$URL")"
TARGET="${2:-${SOURCE}_restored_$(date -u +%Y%m%d%H%M%S)}"
JOBS="${RESTORE_JOBS:-1}"

if ! printf '%s' "$TARGET" | grep -Eq '^[A-Za-z_][A-Za-z0-9_]{0,62}$'; then
  echo "error: '$TARGET' is not a plain database name" >&2
  exit 2
fi
[ -r "$ARCHIVE" ] || { echo "error: cannot read $ARCHIVE" >&2; exit 2; }
if [ -f "$ARCHIVE.sha256" ]; then
  (cd "$(dirname "$ARCHIVE")" && sha256sum --quiet -c "$(basename "$ARCHIVE").sha256") || {
    echo "error: $ARCHIVE does not match its .sha256" >&2
    exit 1
  }
fi

ADMIN_URL="$(with_database "$URL" postgres)"
TARGET_URL="$(with_database "$URL" "$TARGET")"
EXISTS=$(psql "$ADMIN_URL" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$TARGET'")
if [ -n "$EXISTS" ]; then
  echo "error: database $TARGET already exists; restore into a new name" >&2
  exit 1
fi
psql "$ADMIN_URL" -Xqc "CREATE DATABASE \"$TARGET\"" >/dev/null
CREATED=1
cleanup() {
  if [ "${CREATED:-0}" = 1 ]; then
    echo "restore failed: dropping $TARGET" >&2
    psql "$ADMIN_URL" -Xqc "DROP DATABASE IF EXISTS \"$TARGET\" WITH (FORCE)" >/dev/null || true
  fi
}
trap cleanup EXIT

if [ "$JOBS" -gt 1 ]; then
  pg_restore --no-owner --no-privileges --exit-on-error --jobs="$JOBS" --dbname="$TARGET_URL" "$ARCHIVE"
else
  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$TARGET_URL" "$ARCHIVE"
fi
psql "$TARGET_URL" -XqAtc "ANALYZE" >/dev/null

if [ "${RESTORE_VERIFY:-1}" != 0 ]; then
  PY="${PYTHON:-}"
  if [ -z "$PY" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python; fi
  fi
  # The checks need settings, not the production secret: any key will do for them.
  export DATABASE_URL="$TARGET_URL"
  export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-restore-check-only-$(date +%s)-not-a-real-secret-key-000000}"
  (cd "$ROOT" && "$PY" manage.py migrate --check --noinput -v0) || {
    echo "error: $TARGET lacks migrations of this code (restore with the matching release, then migrate)" >&2
    exit 1
  }
  (cd "$ROOT" && "$PY" manage.py check --database default -v0 >/dev/null)
fi

CREATED=0
TABLES=$(psql "$TARGET_URL" -XAtqc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
echo "restored $ARCHIVE into $TARGET ($TABLES tables); checks passed" >&2
echo "DATABASE_URL=$TARGET_URL"
