#!/usr/bin/env bash
# The official postgres image's entrypoint contract on Debian's PostgreSQL:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
#   POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default: the user), PGDATA,
#   POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), and *_FILE
#   variants of the first four. An empty PGDATA is initialised, then the *.sh, *.sql and
#   *.sql.gz files in /docker-entrypoint-initdb.d run once, in name order.
# `postgres [args]` (or args starting with -) runs the server as the postgres OS user with exec,
# so the server is PID 1 and gets docker stop's signal; any other command is executed as given.
set -Eeo pipefail

# VAR from $VAR or from the file named by $VAR_FILE (Docker secrets), never both.
file_env() {
  local var="$1" default="${2:-}"
  local file_var="${var}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo >&2 "error: both $var and $file_var are set (but are exclusive)"
    exit 1
  fi
  local value="$default"
  if [ -n "${!var:-}" ]; then
    value="${!var}"
  elif [ -n "${!file_var:-}" ]; then
    value="$(< "${!file_var}")"
  fi
  export "$var"="$value"
  unset "$file_var"
}

load_settings() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  export POSTGRES_HOST_AUTH_METHOD
}

data_dir_is_empty() {
  [ ! -s "$PGDATA/PG_VERSION" ]
}

# As root: the data and socket directories belong to postgres with the modes initdb requires.
prepare_directories() {
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  chmod 03775 /var/run/postgresql
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
}

require_password() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'MSG'
error: the database is uninitialized and no superuser password is set.
       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, or set
       POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password.
MSG
    exit 1
  fi
}

init_database_dir() {
  # Local (socket) connections are trusted, as in the official image; TCP ones use the host method.
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" $POSTGRES_INITDB_ARGS
  printf '\nlisten_addresses = '\''*'\''\n' >> "$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
}

psql_as_user() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

create_database() {
  if [ "$POSTGRES_DB" = postgres ]; then return; fi
  local exists
  exists="$(psql_as_user --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
  if [ -z "$exists" ]; then
    psql_as_user --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
}

run_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          echo "$0: running $f"; "$f"
        else
          echo "$0: sourcing $f"; . "$f"
        fi
        ;;
      *.sql) echo "$0: running $f"; psql_as_user --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | psql_as_user --dbname "$POSTGRES_DB" ;;
      *) if [ -e "$f" ]; then echo "$0: ignoring $f"; fi ;;
    esac
  done
}

# A server that listens on the socket only, for the setup steps, then stops.
with_setup_server() {
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  export PGHOST=/var/run/postgresql PGPORT=5432
  "$@"
  unset PGHOST PGPORT
  pg_ctl -D "$PGDATA" -m fast -w stop
}

setup_steps() {
  create_database
  run_init_files
}

main() {
  if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
  if [ "$1" != postgres ]; then exec "$@"; fi

  if [ "$(id -u)" = 0 ]; then
    prepare_directories
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi

  load_settings
  if data_dir_is_empty; then
    require_password
    init_database_dir
    with_setup_server setup_steps
    echo "$0: PostgreSQL init process complete; ready for start up."
  fi
  exec "$@"
}

main "$@"
