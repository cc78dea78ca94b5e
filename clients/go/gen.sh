#!/usr/bin/env bash
# Regenerates the Go stubs in clients/go/actorgrpcv1 from protos/actorgrpc/v1.
#
# Usage (from anywhere): clients/go/gen.sh [OUT_DIR]
#   OUT_DIR defaults to clients/go; the stubs land in OUT_DIR/actorgrpcv1.
#
# protoc is the one shipped inside grpcio-tools (the repo's .venv, or $ACTORGRPC_PYTHON);
# protoc-gen-go and protoc-gen-go-grpc are installed at pinned versions into the
# repo-local, gitignored .tools/bin, so that every machine generates the same bytes.
set -euo pipefail

# Pinned generator versions: changing one changes the committed stubs.
PROTOC_GEN_GO_VERSION=v1.36.12       # google.golang.org/protobuf/cmd/protoc-gen-go
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2    # google.golang.org/grpc/cmd/protoc-gen-go-grpc

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$here}
python=${ACTORGRPC_PYTHON:-$root/.venv/bin/python}
tools=$root/.tools/bin

if [ ! -x "$python" ] && ! command -v "$python" >/dev/null 2>&1; then
  echo "gen.sh: no Python at $python (create the venv with 'make', or set ACTORGRPC_PYTHON)" >&2
  exit 1
fi

# install_tool BINARY PACKAGE VERSION EXPECTED_VERSION_OUTPUT
install_tool() {
  if [ "$("$tools/$1" --version 2>/dev/null || true)" != "$4" ]; then
    echo "gen.sh: installing $2@$3 into $tools" >&2
    GOBIN=$tools go install "$2@$3"
  fi
}
mkdir -p "$tools"
install_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go \
  "$PROTOC_GEN_GO_VERSION" "protoc-gen-go $PROTOC_GEN_GO_VERSION"
install_tool protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc \
  "$PROTOC_GEN_GO_GRPC_VERSION" "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}"

# grpc_tools ships google/protobuf/struct.proto & co.
wkt=$("$python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')

mkdir -p "$out/actorgrpcv1"
rm -f "$out"/actorgrpcv1/*.pb.go
cd "$root"
# Relative proto paths keep the "source:" comments in the stubs machine-independent.
"$python" -m grpc_tools.protoc \
  -Iprotos -I"$wkt" \
  --plugin=protoc-gen-go="$tools/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$tools/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=module=github.com/actorgrpc/actorgrpc/clients/go \
  --go-grpc_out="$out" --go-grpc_opt=module=github.com/actorgrpc/actorgrpc/clients/go \
  protos/actorgrpc/v1/*.proto
