#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
#   .ci/postgres.sh start DIR PORT   installs Debian's postgresql if absent, initdb, start
#   .ci/postgres.sh stop DIR
#   .ci/postgres.sh replica DIR PORT PRIMARY_PORT   a streaming replica of the cluster on
#                                                   PRIMARY_PORT (pg_basebackup -R), started on PORT
#   .ci/postgres.sh copy DIR PORT SOURCE_PORT       a copy of the cluster on SOURCE_PORT, its
#                                                   databases as they are now (pg_basebackup),
#                                                   started on PORT as a cluster of its own
set -euo pipefail
cmd=${1:?start|stop|replica|copy}; dir=${2:?data dir}; port=${3:-55432}

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
replica)
    primary=${4:?primary port}
    bin=$(bindir)
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        # -R writes standby.signal and primary_conninfo: the copy starts as a hot standby that
        # streams the primary's WAL (initdb's pg_hba.conf lets local replication connections in).
        (cd / && su postgres -c "$bin/pg_basebackup -h 127.0.0.1 -p $primary -U postgres -D '$dir/data' -R -X stream -c fast") >/dev/null
    fi
    cd / && su postgres -c "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c hot_standby=on -c max_connections=200\" -w start" >/dev/null
    echo "PostgreSQL streaming replica up on 127.0.0.1:$port (of 127.0.0.1:$primary; data in $dir/data)"
    ;;
copy)
    source=${4:?source port}
    bin=$(bindir)
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        # without -R: no standby.signal, so the copy starts as a primary of its own
        (cd / && su postgres -c "$bin/pg_basebackup -h 127.0.0.1 -p $source -U postgres -D '$dir/data' -X stream -c fast") >/dev/null
    fi
    exec bash "$0" start "$dir" "$port"
    ;;
stop)
    bin=$(bindir)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
        cd / && su postgres -c "$bin/pg_ctl -D '$dir/data' -m fast -w stop" >/dev/null || true
    fi
    ;;
*)
    echo "usage: $0 start DIR [PORT] | stop DIR | replica DIR PORT PRIMARY_PORT | copy DIR PORT SOURCE_PORT" >&2; exit 2;;
esac
