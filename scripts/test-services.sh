#!/usr/bin/env bash
# Everything the test suite needs besides the Python venv, installed and started idempotently:
#   - Debian's chromium, postgresql, nginx-light and wrk (installed when missing and we are root; never a
#     Playwright browser),
#     and fonts-noto-cjk so that screenshots of failed browser tests show Chinese text,
#   - the npm test tools (axe-core) from package-lock.json,
#   - a private PostgreSQL cluster in var/test-pg on 127.0.0.1 (port 54329, or a free one),
#     with trust auth and a role/database `govsite_test`.
#
# Usage: bash scripts/test-services.sh [start|stop|status|url]
#   start   (default) install what is missing, start the cluster (reused when already running)
#   stop    stop the private cluster
#   status  say whether it runs, and where
#   url     print the DATABASE_URL of the test database
# Fast when everything is already done: a second run takes well under a second.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd -P)"
VAR="$ROOT/var"
PG_PORT_FILE="$VAR/test-pg.port"        # the port the cluster listens on (54329 unless taken)
PG_DIR_FILE="$VAR/test-pg.dir"          # where the cluster lives (var/test-pg unless unreachable)
DEFAULT_PG_PORT=54329
DB_NAME=govsite_test

say() { printf '[test-services] %s\n' "$*"; }
die() { printf '[test-services] error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# --- Debian packages -------------------------------------------------------------------------

pg_bindir() {
    # The newest installed PostgreSQL server's bin directory (Debian keeps them per version).
    local dir
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

chromium_path() {
    local candidate
    for candidate in "${GOVSITE_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return; fi
    done
}

has_cjk_font() {
    # Chinese glyphs, so that failure screenshots of the pages can be read (the tests don't need them).
    fc-list :lang=zh 2>/dev/null | grep -q . ||
        dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"
}

install_packages() {
    local missing=()
    [ -n "$(chromium_path)" ] || missing+=(chromium)
    [ -n "$(pg_bindir)" ] || missing+=(postgresql)
    command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
    has_cjk_font || missing+=(fonts-noto-cjk)
    [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    if [ "${#missing[@]}" -eq 0 ]; then
        say "packages: chromium, postgresql, npm, nginx, wrk and a Chinese font present"
        return
    fi
    if ! is_root; then
        if [ "${missing[*]}" = "fonts-noto-cjk" ]; then
            say "packages: no Chinese font (screenshots will show boxes): sudo apt-get install fonts-noto-cjk"
            return
        fi
        die "missing ${missing[*]}: run as root, or install them: sudo apt-get install --no-install-recommends ${missing[*]}"
    fi
    say "packages: installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -n "$(chromium_path)" ] || die "chromium did not install"
    [ -n "$(pg_bindir)" ] || die "postgresql did not install"
    say "packages: installed ${missing[*]}"
}

# --- npm test tools --------------------------------------------------------------------------

install_npm_tools() {
    local stamp="node_modules/.govsite-lock.sha256" want
    want="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [ -f node_modules/axe-core/axe.min.js ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        say "npm: node_modules up to date"
        return
    fi
    say "npm: npm ci"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    [ -f node_modules/axe-core/axe.min.js ] || die "npm ci did not install axe-core"
    echo "$want" >"$stamp"
}

# --- private PostgreSQL cluster ----------------------------------------------------------------

# initdb and postgres refuse to run as root: as root they run as the `postgres` user.
as_pg() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_data_dir() {
    # var/test-pg, unless the `postgres` user cannot reach it (a clone under /root, mode 700):
    # then a directory of this checkout's own under /var/tmp.
    if [ -f "$PG_DIR_FILE" ]; then cat "$PG_DIR_FILE"; return; fi
    local dir="$VAR/test-pg"
    if is_root && ! runuser -u postgres -- test -x "$VAR"; then
        dir="/var/tmp/govsite-test-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    fi
    echo "$dir" >"$PG_DIR_FILE"
    echo "$dir"
}

pg_running() {
    local bindir=$1 data=$2
    [ -f "$data/PG_VERSION" ] && as_pg "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

start_postgres() {
    local bindir data port
    bindir="$(pg_bindir)"
    [ -n "$bindir" ] || die "no PostgreSQL server found (apt-get install postgresql)"
    mkdir -p "$VAR"
    data="$(pg_data_dir)"

    if [ ! -f "$data/PG_VERSION" ]; then
        say "postgres: initdb $data"
        rm -rf "$data"
        mkdir -p "$data"
        chmod 700 "$data"
        if is_root; then chown postgres:postgres "$data"; fi
        as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        # Test-only cluster: loopback only, no unix socket, durability traded for speed.
        cat >>"$data/postgresql.conf" <<'CONF'

# govsite test cluster (scripts/test-services.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
CONF
    fi

    if pg_running "$bindir" "$data"; then
        port="$(cat "$PG_PORT_FILE" 2>/dev/null || true)"
        [ -n "$port" ] || die "cluster in $data runs but $PG_PORT_FILE is missing; stop it: bash scripts/test-services.sh stop"
        say "postgres: already running on 127.0.0.1:$port"
    else
        port="$DEFAULT_PG_PORT"
        if port_in_use "$port"; then
            port="$(free_port)"
            say "postgres: port $DEFAULT_PG_PORT is taken, using $port"
        fi
        echo "$port" >"$PG_PORT_FILE"
        say "postgres: starting on 127.0.0.1:$port"
        rm -f "$data/postmaster.pid"   # stale after a machine restart; pg_ctl status said it is not running
        as_pg "$bindir/pg_ctl" start -D "$data" -l "$data/server.log" -w -t 60 -o "-p $port" >/dev/null ||
            { tail -n 20 "$data/server.log" >&2 || true; die "PostgreSQL did not start"; }
    fi

    local tries=0
    until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || die "PostgreSQL on 127.0.0.1:$port is not ready after 30 s"
        sleep 0.5
    done

    local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -tA)
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_NAME'")" ]; then
        # CREATEDB: pytest-django creates test_govsite_test, the e2e suite its own database.
        "${psql[@]}" -c "CREATE ROLE $DB_NAME LOGIN CREATEDB"
    fi
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
        "${psql[@]}" -c "CREATE DATABASE $DB_NAME OWNER $DB_NAME"
    fi
    say "postgres: ready, DATABASE_URL=$(database_url)"
}

database_url() {
    echo "postgres://$DB_NAME@127.0.0.1:$(cat "$PG_PORT_FILE")/$DB_NAME"
}

stop_postgres() {
    local bindir data
    bindir="$(pg_bindir)"
    [ -f "$PG_DIR_FILE" ] || { say "postgres: no test cluster"; return; }
    data="$(cat "$PG_DIR_FILE")"
    if [ -n "$bindir" ] && pg_running "$bindir" "$data"; then
        as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null
        say "postgres: stopped"
    else
        say "postgres: not running"
    fi
}

case "${1:-start}" in
    start)
        install_packages
        install_npm_tools
        start_postgres
        ;;
    stop) stop_postgres ;;
    status)
        bindir="$(pg_bindir)"
        if [ -f "$PG_DIR_FILE" ] && [ -n "$bindir" ] && pg_running "$bindir" "$(cat "$PG_DIR_FILE")"; then
            say "postgres: running, DATABASE_URL=$(database_url)"
        else
            say "postgres: not running"
            exit 3
        fi
        ;;
    url)
        [ -f "$PG_PORT_FILE" ] || die "no test cluster yet: bash scripts/test-services.sh"
        database_url
        ;;
    *) die "usage: $0 [start|stop|status|url]" ;;
esac
