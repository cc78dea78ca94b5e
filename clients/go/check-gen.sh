#!/usr/bin/env bash
# Fails when the committed Go stubs in clients/go/actorgrpcv1 differ from what
# gen.sh generates from protos/actorgrpc/v1 (run gen.sh and commit the result).
#
# Usage (from anywhere): clients/go/check-gen.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$here/gen.sh" "$tmp"
if ! diff -ru "$here/actorgrpcv1" "$tmp/actorgrpcv1" >"$tmp/diff"; then
  cat "$tmp/diff" >&2
  echo >&2
  echo "check-gen.sh: the Go stubs in clients/go/actorgrpcv1 are stale:" >&2
  echo "  they differ from what protos/actorgrpc/v1 generates (diff above)." >&2
  echo "  Run clients/go/gen.sh and commit the result." >&2
  exit 1
fi
echo "check-gen.sh: clients/go/actorgrpcv1 is up to date"
