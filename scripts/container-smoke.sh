#!/usr/bin/env bash
# Builds the arbiter image (docker/Dockerfile) with podman and proves it works: run it
# with a module mounted on /app/modules, wait for the HEALTHCHECK to say healthy, Spawn
# and Send through grpcurl, check the user is not root, then `podman stop` and require
# a graceful exit (code 0: tini passed SIGTERM on and the arbiter stopped its actors).
#
#   sudo bash scripts/container-smoke.sh            # build + run + check + stop
#   SKIP_BUILD=1 bash scripts/container-smoke.sh    # reuse the image built last time
#   BUILD_ONLY=1 bash scripts/container-smoke.sh    # build the image, run nothing
#
# Not part of `make test`: it needs podman (installed with apt-get when missing and
# run as root), a base image and a few minutes. Environment:
#   PODMAN_DATA  podman's storage, outside the repository  (/var/tmp/actorgrpc-podman)
#   BASE         base image; default python:3.11-slim when it is already in the store,
#                else localhost/debian-local:bookworm, made with debootstrap if missing
#   IMAGE        tag to build                              (localhost/actorgrpc/arbiter:dev)
#   PORT         port of the arbiter on 127.0.0.1           (a free one)
#   CA_BUNDLE    CA bundle handed to pip as a build secret (/etc/ssl/certs/ca-certificates.crt)
#
# Networking is the host's (--network=host: this sandbox cannot create bridges), so
# the arbiter binds 127.0.0.1:$PORT through ACTORGRPC_BIND, never 0.0.0.0. Where
# bridges work, `docker run -p 127.0.0.1:7070:7070 IMAGE` is the equivalent.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PODMAN_DATA=${PODMAN_DATA:-/var/tmp/actorgrpc-podman}
IMAGE=${IMAGE:-localhost/actorgrpc/arbiter:dev}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
NAME=actorgrpc-smoke-$$
#: Seconds the container may take to become healthy: the arbiter is ready in ~1 s;
#: the HEALTHCHECK itself imports grpc (~0.1 s). 60 s covers a loaded 2-core host.
HEALTHY_TIMEOUT=60
#: Seconds `podman stop` waits before SIGKILL: the arbiter's worst-case shutdown is
#: 3 x ACTOR_ACTION_TIMEOUT (15 s) per actor, concurrently.
STOP_TIMEOUT=30

say() { printf '\n==== %s ====\n' "$*"; }
die() { printf '!!! container-smoke: %s !!!\n' "$*" >&2; exit 1; }

case "$PODMAN_DATA" in "$ROOT"|"$ROOT"/*) die "PODMAN_DATA must be outside the repository";; esac

say "prerequisites"
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc debootstrap
  else
    die "podman and runc are needed (apt-get install podman runc debootstrap, as root)"
  fi
fi
GRPCURL=$ROOT/.tools/bin/grpcurl
[ -x "$GRPCURL" ] || GRPCURL=$(command -v grpcurl) \
  || die "grpcurl is missing: run bash scripts/install-grpcurl.sh"
mkdir -p "$PODMAN_DATA"
# crun fails on this host's hybrid cgroups and root may not raise the default rlimits.
cat >"$PODMAN_DATA/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF=$PODMAN_DATA/containers.conf
podman=(podman --root "$PODMAN_DATA/storage" --runroot "$PODMAN_DATA/runroot")
"${podman[@]}" --version

if [ -z "${BASE:-}" ]; then
  if "${podman[@]}" image exists python:3.11-slim; then
    BASE=python:3.11-slim
  else
    BASE=localhost/debian-local:bookworm
  fi
fi
if [ "$BASE" = localhost/debian-local:bookworm ] && ! "${podman[@]}" image exists "$BASE"; then
  say "base image $BASE (debootstrap, about a minute)"
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is needed to make $BASE"
  rm -rf "$PODMAN_DATA/rootfs"
  debootstrap --variant=minbase bookworm "$PODMAN_DATA/rootfs" http://deb.debian.org/debian
  tar -C "$PODMAN_DATA/rootfs" -c . | "${podman[@]}" import - "$BASE"
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "build $IMAGE from docker/Dockerfile (BASE=$BASE)"
  secret=()
  [ -s "$CA_BUNDLE" ] && secret=(--secret "id=cabundle,src=$CA_BUNDLE")
  # --format docker: the OCI format has no HEALTHCHECK.
  time "${podman[@]}" build --format docker --network=host \
    -f docker/Dockerfile --ignorefile docker/Dockerfile.dockerignore \
    --build-arg "BASE=$BASE" "${secret[@]}" -t "$IMAGE" .
fi
"${podman[@]}" image inspect --format 'healthcheck: {{.Config.Healthcheck.Test}}  user: {{.Config.User}}' "$IMAGE"
if [ "${BUILD_ONLY:-0}" = 1 ]; then
  say "built $IMAGE (BUILD_ONLY=1: not run)"
  exit 0
fi

say "run"
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
ADDRESS=127.0.0.1:$PORT
MODULES_DIR=$(mktemp -d)
SECRETS_DIR=$(mktemp -d)
cleanup() {
  "${podman[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  rm -rf "$MODULES_DIR" "$SECRETS_DIR"
}
trap cleanup EXIT
# A module of the operator's, mounted read-only and allowed through ACTORGRPC_MODULES.
cat >"$MODULES_DIR/smoke_commands.py" <<'PY'
from actorgrpc import command


@command()
def shout(actor, text):
    return text.upper()
PY
chmod -R a+rX "$MODULES_DIR"
# The image makes its credentials at first start in /app/secrets: a folder of ours
# here, owned by the image's user, so that the checks below can read them.
chown 10001:10001 "$SECRETS_DIR"
"${podman[@]}" run -d --name "$NAME" --network=host \
  -e "ACTORGRPC_BIND=$ADDRESS" \
  -e ACTORGRPC_MODULES=actorgrpc.examples.demo,smoke_commands \
  -v "$MODULES_DIR:/app/modules:ro" -v "$SECRETS_DIR:/app/secrets" \
  "$IMAGE"

say "wait until healthy (HEALTHCHECK: grpc.health.v1.Health/Check)"
# Without systemd, podman logs "unable to get systemd connection to add healthchecks":
# only its periodic timer is missing; `podman healthcheck run` below runs the check.
deadline=$((SECONDS + HEALTHY_TIMEOUT))
until "${podman[@]}" healthcheck run "$NAME"; do
  if [ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$NAME")" != true ]; then
    "${podman[@]}" logs "$NAME" >&2 || true
    die "the container exited"
  fi
  if [ $SECONDS -ge $deadline ]; then
    "${podman[@]}" logs "$NAME" >&2 || true
    die "not healthy after $HEALTHY_TIMEOUT s"
  fi
  sleep 1  # the poll interval of a check that is itself bounded by the deadline above
done
echo "healthy"
"${podman[@]}" logs "$NAME" 2>&1 | grep -F "actorgrpc serving on $ADDRESS" \
  || die "no ready line for $ADDRESS in the container's output"

say "grpcurl against $ADDRESS (TLS, with the admin token made at first start)"
TOKEN=$(awk '$1 == "admin" {print $2}' "$SECRETS_DIR/tokens")
[ -n "$TOKEN" ] || die "no admin token in the credentials made at first start"
"$GRPCURL" -cacert "$SECRETS_DIR/tls.crt" -max-time 30 "$ADDRESS" list >/dev/null 2>&1 \
  && die "the arbiter answered a call without a token"
check() {  # check NAME EXPECTED-SUBSTRING grpcurl-args...
  local label=$1 expected=$2 output
  shift 2
  output=$("$GRPCURL" -cacert "$SECRETS_DIR/tls.crt" -H "authorization: Bearer $TOKEN" \
    -max-time 30 "$@") || die "$label failed: $output"
  printf '%s: %s\n' "$label" "$(printf '%s' "$output" | tr -d ' \n')"
  case "$(printf '%s' "$output" | tr -d ' \n')" in
    *"$expected"*) ;;
    *) die "$label: expected $expected";;
  esac
}
check health '"status":"SERVING"' "$ADDRESS" grpc.health.v1.Health/Check
check spawn '"state":"ACTOR_STATE_RUNNING"' -d '{"name":"w1"}' \
  "$ADDRESS" actorgrpc.v1.ArbiterService/Spawn
check send-echo '{"result":"hi"}' -d '{"target":"w1","action":"echo","args":["hi"]}' \
  "$ADDRESS" actorgrpc.v1.ArbiterService/Send
check send-greet '{"result":"hellocontainer!fromw1"}' \
  -d '{"target":"w1","action":"greet","kwargs":{"name":"container"}}' \
  "$ADDRESS" actorgrpc.v1.ArbiterService/Send
check send-mounted-module '{"result":"LOUD"}' \
  -d '{"target":"w1","action":"shout","args":["loud"]}' \
  "$ADDRESS" actorgrpc.v1.ArbiterService/Send

uid=$("${podman[@]}" exec "$NAME" id -u)
echo "arbiter runs as uid $uid"
[ "$uid" != 0 ] || die "the arbiter runs as root"

say "stop (SIGTERM through tini; an actor is still running)"
"${podman[@]}" stop -t "$STOP_TIMEOUT" "$NAME"
code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
"${podman[@]}" logs "$NAME" 2>&1 | tail -n 5
[ "$code" = 0 ] || die "the arbiter exited with $code, not 0 (signal not delivered?)"
echo "exit code 0"

say "container smoke test passed ($IMAGE, BASE=$BASE)"
