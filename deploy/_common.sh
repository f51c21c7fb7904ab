# Shared by deploy/backup.sh and deploy/restore.sh (sourced, not run).

# DATABASE_URL from the environment, else from the project's .env (as the settings read it).
database_url() {
  local url="${DATABASE_URL:-}"
  if [ -z "$url" ] && [ -f "$ROOT/.env" ]; then
    url=$(sed -n 's/^DATABASE_URL=//p' "$ROOT/.env" | tail -1)
  fi
  case "$url" in
    postgres://* | postgresql://* | pgsql://* | psql://*) ;;
    *) echo "error: DATABASE_URL must be a PostgreSQL URL (postgres://user:pass@host:port/db)" >&2; exit 2 ;;
  esac
  # libpq knows postgres:// and postgresql:// only.
  printf '%s\n' "$url" | sed -E 's#^(pgsql|psql)://#postgresql://#'
}

# The same server and credentials with another database name (keeps ?options).
with_database() {
  local url="$1" name="$2"
  printf '%s\n' "$url" | sed -E "s#^([a-z]+://[^/]*)/[^?]*#\1/${name}#"
}

database_name() {
  printf '%s\n' "$1" | sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#'
}
