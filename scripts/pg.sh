#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for Zhiliang's tests, owned by the project
# folder (not the system service).  TEST ONLY: trust auth, fsync off.
#
#   scripts/pg.sh start   initdb if needed, start, create role+db; prints the URL
#   scripts/pg.sh url     print the URL
#   scripts/pg.sh stop    stop it (fast shutdown) if running
#   scripts/pg.sh status  print state; exit 0 running, 3 stopped
#
# Location: <project>/var/pg/{data,run,log}, derived from this script's own
# path so that a fresh clone anywhere (e.g. CI) gets its own cluster.
# Port: ${ZHILIANG_PG_PORT:-54329}, listening on 127.0.0.1 only; the unix
# socket lives in var/pg/run.
#
# Postgres refuses to run as root, so when we are root every server-side
# command runs as the `postgres` system user (runuser) and var/pg is chowned
# to it.  When not root, everything runs as the current user.
#
# Fallback: if the postgres user cannot traverse/write into <project>/var/pg
# (e.g. the clone sits under a 0700 root-owned directory such as /root), or
# the socket path would exceed the 107-byte unix socket limit, the cluster
# lives in /tmp/zhiliang-pg-<sha256(project path)[:12]>/ instead.  The hash
# keeps clones at different paths apart.  `stop`/`status` find it the same way.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${ZHILIANG_PG_PORT:-54329}"
URL="postgres://zhiliang@127.0.0.1:${PORT}/zhiliang"
PROJECT_BASE="$ROOT/var/pg"
FALLBACK_BASE="/tmp/zhiliang-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"

# Don't let the caller's libpq environment redirect our internal psql calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGDATA PGOPTIONS || true

die() { echo "pg.sh: $*" >&2; exit 1; }

find_bindir() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    [[ -n "$d" && -x "$d/pg_ctl" ]] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (run scripts/system-deps.sh)"
    printf '%s' "$d"
}

IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

# Run a command as the cluster owner, from / (the caller's cwd may be
# unreadable for postgres, which makes initdb/pg_ctl complain).
as_pg() {
    if [[ $IS_ROOT -eq 1 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

base_usable() {
    local base="$1"
    local sock="$base/run/.s.PGSQL.$PORT"
    [[ ${#sock} -le 107 ]] || return 1
    as_pg test -d "$base" -a -w "$base" -a -x "$base" 2>/dev/null
}

# Pick the base dir without creating anything (for stop/status/url).
resolve_existing_base() {
    if base_usable "$PROJECT_BASE"; then
        printf '%s' "$PROJECT_BASE"
    elif [[ -d "$FALLBACK_BASE" ]]; then
        printf '%s' "$FALLBACK_BASE"
    else
        printf '%s' "$PROJECT_BASE"
    fi
}

# Pick the base dir for start, creating it (and falling back) as needed.
prepare_base() {
    if [[ -d "$FALLBACK_BASE" ]] && ! base_usable "$PROJECT_BASE"; then
        printf '%s' "$FALLBACK_BASE"; return
    fi
    local created=0
    if [[ ! -d "$PROJECT_BASE" ]]; then
        mkdir -p "$PROJECT_BASE" 2>/dev/null && created=1
    fi
    if [[ -d "$PROJECT_BASE" ]]; then
        [[ $IS_ROOT -eq 1 ]] && chown postgres:postgres "$PROJECT_BASE"
        chmod 0755 "$PROJECT_BASE"
        if base_usable "$PROJECT_BASE"; then
            printf '%s' "$PROJECT_BASE"; return
        fi
        if [[ $created -eq 1 ]]; then
            rmdir "$PROJECT_BASE" "$ROOT/var" 2>/dev/null || true
        fi
    fi
    mkdir -p "$FALLBACK_BASE"
    [[ $IS_ROOT -eq 1 ]] && chown postgres:postgres "$FALLBACK_BASE"
    chmod 0755 "$FALLBACK_BASE"
    base_usable "$FALLBACK_BASE" || die "neither $PROJECT_BASE nor $FALLBACK_BASE is usable by the cluster owner"
    printf '%s' "$FALLBACK_BASE"
}

is_running() {  # $1 = base
    [[ -f "$1/data/PG_VERSION" ]] || return 1
    as_pg "$BINDIR/pg_ctl" status -D "$1/data" >/dev/null 2>&1
}

cmd_start() {
    BINDIR="$(find_bindir)"
    local base data run logdir logfile
    base="$(prepare_base)"
    data="$base/data"; run="$base/run"; logdir="$base/log"; logfile="$logdir/postgres.log"

    if ! is_running "$base"; then
        as_pg mkdir -p "$run" "$logdir"
        if [[ ! -f "$data/PG_VERSION" ]]; then
            as_pg "$BINDIR/initdb" -D "$data" -U postgres --auth=trust \
                --encoding=UTF8 --locale=C.UTF-8 >"$logdir/initdb.log" 2>&1 \
                || { cat "$logdir/initdb.log" >&2 2>/dev/null || true; die "initdb failed (see $logdir/initdb.log)"; }
            echo "include_if_exists = 'zhiliang.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
        fi
        # Rewritten on every start so a changed ZHILIANG_PG_PORT takes effect.
        as_pg tee "$data/zhiliang.conf" >/dev/null <<CONF
# Written by scripts/pg.sh on each start.  Throwaway test cluster.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
# PostgreSQL's default is 128MB; its manual suggests a quarter of memory for a dedicated
# server. 1GB holds the public-query benchmark's million names and their indexes.
shared_buffers = 1GB
CONF
        if ! as_pg "$BINDIR/pg_ctl" start -D "$data" -l "$logfile" -w -t 60 >/dev/null 2>&1; then
            tail -n 20 "$logfile" >&2 2>/dev/null || true
            die "pg_ctl start failed (port $PORT busy? see $logfile)"
        fi
    fi

    local i
    for i in $(seq 1 60); do
        "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres && break
        [[ $i -eq 60 ]] && die "server at 127.0.0.1:$PORT not ready after 30 s (see $logfile)"
        sleep 0.5
    done

    local psql=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tA)
    if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'zhiliang'")" != "1" ]]; then
        "${psql[@]}" -c "CREATE ROLE zhiliang LOGIN SUPERUSER" >/dev/null
    fi
    if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'zhiliang'")" != "1" ]]; then
        "${psql[@]}" -c "CREATE DATABASE zhiliang OWNER zhiliang" >/dev/null
    fi
    echo "$URL"
}

cmd_stop() {
    BINDIR="$(find_bindir)"
    local base
    base="$(resolve_existing_base)"
    if is_running "$base"; then
        as_pg "$BINDIR/pg_ctl" stop -D "$base/data" -m fast -w -t 60 >/dev/null
        echo "pg.sh: stopped ($base/data)"
    else
        echo "pg.sh: not running"
    fi
}

cmd_status() {
    BINDIR="$(find_bindir)"
    local base
    base="$(resolve_existing_base)"
    if is_running "$base"; then
        echo "running: $URL (data: $base/data)"
    elif [[ -f "$base/data/PG_VERSION" ]]; then
        echo "stopped (data: $base/data)"; exit 3
    else
        echo "stopped (no cluster yet)"; exit 3
    fi
}

case "${1:-}" in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    status) cmd_status ;;
    url)    echo "$URL" ;;
    *)      echo "usage: $0 {start|stop|status|url}" >&2; exit 2 ;;
esac
