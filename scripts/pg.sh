#!/usr/bin/env bash
# A real PostgreSQL server for `mobench push` / `pull` tests: Debian's postgresql package, a
# cluster made by initdb in a temporary folder, listening on 127.0.0.1 at a free port (its Unix
# socket in that folder), password (SCRAM) authentication for user mobench, database mobench.
#
#   scripts/pg.sh start   starts it and prints its URL as the only line on stdout:
#                         export MOBENCH_TEST_POSTGRES=$(scripts/pg.sh start)
#   scripts/pg.sh stop    stops it and removes its folder
#   scripts/pg.sh url     prints the URL of the running one
#
# initdb refuses to run as root: run as root, the cluster belongs to the `postgres` user that
# Debian's package creates (runuser). State (folder, port, password) in
# ${XDG_CACHE_HOME:-~/.cache}/mobench/pg/current.
set -euo pipefail

STATE="${XDG_CACHE_HOME:-$HOME/.cache}/mobench/pg"
say() { echo "pg: $*" >&2; }
die() { say "$*"; exit 1; }

bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL's server is not installed: run scripts/deps.sh app (Debian's postgresql package)"
  echo "$d"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url_of() { echo "postgres://mobench:$3@127.0.0.1:$2/mobench"; }

start() {
  local bin dir port password
  bin=$(bin_dir)
  if [ -f "$STATE/current" ]; then
    read -r dir port password <"$STATE/current"
    if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      die "one is running already ($dir); scripts/pg.sh stop first"
    fi
    say "removing the state of one that is gone ($dir)"
    rm -rf "$dir" "$STATE/current"
  fi
  dir=$(mktemp -d /tmp/mobench-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  echo "$password" | as_owner tee "$dir/pw" >/dev/null
  as_owner "$bin/initdb" -D "$dir/data" -U mobench --pwfile="$dir/pw" --auth=scram-sha-256 \
    -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; die "the server did not start"; }
  as_owner env PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U mobench mobench
  mkdir -p "$STATE"
  echo "$dir $port $password" >"$STATE/current"
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (folder $dir)"
  url_of "$dir" "$port" "$password"
}

stop() {
  [ -f "$STATE/current" ] || { say "none is running"; return 0; }
  local dir port password
  read -r dir port password <"$STATE/current"
  as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || say "it had stopped already"
  rm -rf "$dir" "$STATE/current"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url)
    [ -f "$STATE/current" ] || die "none is running"
    read -r dir port password <"$STATE/current"
    url_of "$dir" "$port" "$password"
    ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
