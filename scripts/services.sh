#!/usr/bin/env bash
# Starts the servers the service tests talk to, only when they are not answering (one that runs is
# never restarted or reconfigured): Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 with a
# database `test` that user postgres reaches over local TCP without a password. Quiet on success.
set -euo pipefail
REDIS_PORT=6379
PG_PORT=5432

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -- "$@"; fi; }

wait_for() {  # wait_for WHAT CMD...: up to 30 s for CMD to succeed
  local what=$1; shift
  for _ in $(seq 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "services: $what did not come up" >&2
  return 1
}

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }
if ! redis_up; then
  # Like the machines CI runs on: a broker for tests keeps nothing on disk.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --logfile /tmp/formaudit-redis.log
  wait_for "redis on 127.0.0.1:$REDIS_PORT (log: /tmp/formaudit-redis.log)" redis_up
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }
pg_login() { psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1" >/dev/null 2>&1; }
cluster_on_port() { pg_lsclusters -h | awk -v port="$PG_PORT" '$3 == port { print $1 " " $2; exit }'; }
trust_local_tcp() {  # trust_local_tcp VERSION NAME: first match wins in pg_hba.conf, so the lines go on top
  local hba=/etc/postgresql/$1/$2/pg_hba.conf
  if ! grep -Eq '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
}
if ! pg_up; then
  cluster=$(cluster_on_port)
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    as_root pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
    cluster="$version main"
  fi
  read -r version name <<<"$cluster"
  trust_local_tcp "$version" "$name"
  as_root pg_ctlcluster "$version" "$name" start
  wait_for "postgresql $version/$name on 127.0.0.1:$PG_PORT" pg_up
elif ! pg_login; then
  # A server apt started asks TCP clients for a password; the tests log in as postgres without one.
  cluster=$(cluster_on_port)
  if [ -z "$cluster" ]; then
    echo "services: PostgreSQL on 127.0.0.1:$PG_PORT refuses user postgres without a password and is no local cluster" >&2
    exit 1
  fi
  read -r version name <<<"$cluster"
  trust_local_tcp "$version" "$name"
  as_root pg_ctlcluster "$version" "$name" reload  # a reload, not a restart: connections stay
  wait_for "postgresql $version/$name to trust local TCP" pg_login
fi
if [ "$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
  createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres test
fi
