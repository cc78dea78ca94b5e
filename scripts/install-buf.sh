#!/usr/bin/env bash
# Installs buf (the protobuf linter) from the npm registry into .tools/buf (pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
BUF_VERSION=1.75.0
bin=.tools/buf/node_modules/.bin/buf
if [ -x "$bin" ] && [ "$("$bin" --version)" = "$BUF_VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "!!! install-buf.sh: npm is not installed; buf was NOT installed !!!" >&2
  exit 1
fi
mkdir -p .tools/buf
npm install --prefix .tools/buf --no-audit --no-fund --loglevel=error "@bufbuild/buf@$BUF_VERSION"
echo "buf $("$bin" --version) installed: $bin"
