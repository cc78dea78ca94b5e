#!/usr/bin/env bash
# Installs the pinned grpcurl into the repository's gitignored .tools/bin, where
# tests/test_grpcurl.py and the README's operator commands expect it.
#
#   bash scripts/install-grpcurl.sh        # GO=/path/to/go to choose the toolchain
#
# Needs Go (go install builds it from source through the module proxy; about 45 s the
# first time, instant when the pinned version is already there). Without Go it fails,
# loudly: a missing grpcurl must never turn into silently skipped tests.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCURL_MODULE=github.com/fullstorydev/grpcurl
GRPCURL_VERSION=v1.9.3
GO=${GO:-go}
BIN_DIR="$PWD/.tools/bin"
TARGET="$BIN_DIR/grpcurl"

if ! command -v "$GO" >/dev/null 2>&1; then
  {
    echo "!!! install-grpcurl: Go ('$GO') is not installed, so grpcurl $GRPCURL_VERSION"
    echo "!!! was NOT installed into .tools/bin. Install Go (https://go.dev/dl/) and run this"
    echo "!!! again, or put a grpcurl $GRPCURL_VERSION release binary at $TARGET yourself."
  } >&2
  exit 1
fi

# `go version -m` reads the module version Go stamped into the binary; grpcurl's own
# -version says "dev build" for binaries made with go install.
if [ -x "$TARGET" ] && "$GO" version -m "$TARGET" 2>/dev/null \
    | grep -Eq "^[[:space:]]+mod[[:space:]]+$GRPCURL_MODULE[[:space:]]+$GRPCURL_VERSION([[:space:]]|$)"; then
  echo "grpcurl $GRPCURL_VERSION already installed: $TARGET"
  exit 0
fi

echo "installing grpcurl $GRPCURL_VERSION into $BIN_DIR (go install; about a minute the first time)"
mkdir -p "$BIN_DIR"
GOBIN="$BIN_DIR" "$GO" install "$GRPCURL_MODULE/cmd/grpcurl@$GRPCURL_VERSION"
"$TARGET" -version 2>&1 | head -n 1
echo "grpcurl $GRPCURL_VERSION installed: $TARGET"
