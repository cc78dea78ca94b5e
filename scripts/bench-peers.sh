#!/usr/bin/env bash
# Peer benchmark: the workloads of `actorgrpc bench` against Ray, Thespian and
# plain multiprocessing, printed beside actorgrpc's own figures in one table.
#
#   bash scripts/bench-peers.sh [--quick] [--only ray,thespian,mp[,actorgrpc]]
#
# Ray and Thespian get their own virtual environments under .bench-envs/ (pins
# in bench/peers/requirements-*.txt); multiprocessing and actorgrpc use .venv.
# Each peer runs under a timeout, and (as root) in its own network and PID
# namespaces: the network one has only loopback, so nothing listens on or
# reaches another interface (Ray and Thespian bind to all interfaces), and the
# PID one guarantees that every process a peer started is gone when it ends,
# even after a timeout (Thespian's admin detaches itself with setsid).
# The combined figures go to bench/peers/last-run.json.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=()
ONLY="actorgrpc,ray,thespian,mp"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=(--quick) ;;
        --only) ONLY="$2"; shift ;;
        --only=*) ONLY="${1#--only=}" ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done
wanted() { [[ ",$ONLY," == *",$1,"* ]]; }

ENVS=.bench-envs
PEERS=bench/peers
# Seconds before a peer is stopped (SIGTERM, then SIGKILL 20 s later) and its
# figures reported as missing. Ray's 50-at-once spawn alone takes ~10-35 s.
if [ ${#QUICK[@]} -gt 0 ]; then LIMIT=150; else LIMIT=600; fi
LIMIT=${BENCH_PEERS_LIMIT:-$LIMIT}

WORK=$(mktemp -d /tmp/bench-peers.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cat /proc/loadavg > "$WORK/loadavg.start" 2>/dev/null || true

if [ ! -x .venv/bin/python ]; then
    echo "no .venv: run 'make install' first" >&2
    exit 1
fi

# A virtual environment per peer, rebuilt when its requirements file changes.
ensure_env() {
    local name=$1 req=$PEERS/requirements-$1.txt
    local stamp=$ENVS/$name/.installed
    if [ -f "$stamp" ] && [ "$stamp" -nt "$req" ]; then return 0; fi
    echo ">>> installing $name into $ENVS/$name (pins: $req)"
    rm -rf "${ENVS:?}/$name"
    python3 -m venv "$ENVS/$name"
    "$ENVS/$name/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    touch "$stamp"
}

# The sandbox: new network (loopback only) and PID namespaces; --kill-child
# takes the whole namespace down if this script dies.
SANDBOX=()
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
        && unshare --net --pid --fork --mount-proc --kill-child true 2>/dev/null; then
    SANDBOX=(unshare --net --pid --fork --mount-proc --kill-child
             sh -c 'ip link set lo up && exec "$@"' sandbox)
else
    echo "!!! no namespaces (needs root, unshare, ip): peers run on the host network;" \
         "Ray and Thespian will listen on all interfaces" >&2
fi

# run_peer COLUMN COMMAND...: COLUMN.json gets stdout, COLUMN.log stderr,
# COLUMN.status "ok" or why there are no figures.
run_peer() {
    local col=$1; shift
    local started=$SECONDS rc=0
    rm -f "$PEERS/last-run-$col.log"
    echo ">>> $col (limit ${LIMIT}s)"
    "$@" >"$WORK/$col.json" 2>"$WORK/$col.log" || rc=$?
    case $rc in
        0) echo ok > "$WORK/$col.status" ;;
        124|137) echo "timed out after ${LIMIT}s: stopped, figures missing" > "$WORK/$col.status" ;;
        *) echo "failed (exit $rc): $(tail -n 1 "$WORK/$col.log")" > "$WORK/$col.status" ;;
    esac
    echo "    $(cat "$WORK/$col.status") [$((SECONDS - started))s]"
    if [ $rc != 0 ]; then
        cp "$WORK/$col.log" "$PEERS/last-run-$col.log"
        echo "    stderr kept in $PEERS/last-run-$col.log"
    fi
}

limited() { timeout --kill-after=20 "$LIMIT" "$@"; }

if wanted ray; then
    ensure_env ray
    # Ray writes its session files and an auth token under $HOME/.ray and its
    # temp dir: both go to the scratch folder, removed on exit.
    mkdir -p "$WORK/home"
    run_peer ray env HOME="$WORK/home" "${SANDBOX[@]}" \
        timeout --kill-after=20 "$LIMIT" \
        "$ENVS/ray/bin/python" $PEERS/ray_peer.py "${QUICK[@]}" --temp-dir "$WORK/ray"
fi

if wanted thespian; then
    ensure_env thespian
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run_peer thespian env TMPDIR="$WORK" "${SANDBOX[@]}" \
        timeout --kill-after=20 "$LIMIT" \
        "$ENVS/thespian/bin/python" $PEERS/thespian_peer.py "${QUICK[@]}" --admin-port "$port"
    if [ ${#SANDBOX[@]} = 0 ] && [ "$(cat "$WORK/thespian.status")" != ok ]; then
        # Without a PID namespace a killed run can leave the admin behind.
        limited "$ENVS/thespian/bin/python" $PEERS/thespian_peer.py --cleanup --admin-port "$port" || true
    fi
fi

if wanted mp; then
    run_peer mp "${SANDBOX[@]}" timeout --kill-after=20 "$LIMIT" \
        .venv/bin/python $PEERS/mp_peer.py "${QUICK[@]}"
fi

if wanted actorgrpc; then
    # On the host network: it binds 127.0.0.1 itself, stops its own processes,
    # and its Go/JS legs may need the toolchains' caches.
    if .venv/bin/actorgrpc bench --help >/dev/null 2>&1; then
        run_peer actorgrpc limited .venv/bin/actorgrpc bench --json "${QUICK[@]}"
    else
        echo ">>> actorgrpc: 'actorgrpc bench' does not exist yet, skipped"
        echo "skipped: no 'actorgrpc bench' command" > "$WORK/actorgrpc.status"
    fi
fi

echo
python3 $PEERS/compare.py "$WORK" --out $PEERS/last-run.json "${QUICK[@]}"
