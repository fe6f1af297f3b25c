#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
#   .ci/postgres.sh start DIR PORT   installs Debian's postgresql if absent, initdb, start
#   .ci/postgres.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}; port=${3:-55432}

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    echo "$d"
}

case "$cmd" in
start)
    if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
        echo "Installing PostgreSQL from Debian's packages..."
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(bindir)
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        (cd / && su postgres -c "$bin/initdb -D '$dir/data' --auth-local=trust --auth-host=trust -U postgres -E UTF8 --locale=C.UTF-8") >/dev/null
    fi
    cd / && su postgres -c "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" -w start" >/dev/null
    echo "PostgreSQL up on 127.0.0.1:$port (data in $dir/data)"
    ;;
stop)
    bin=$(bindir)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
        cd / && su postgres -c "$bin/pg_ctl -D '$dir/data' -m fast -w stop" >/dev/null || true
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2;;
esac
