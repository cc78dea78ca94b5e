#!/bin/sh
# Entry point of the arbiter image: `serve` gets --bind from ACTORGRPC_BIND and one -m
# per module of ACTORGRPC_MODULES (comma or space separated); arguments given to
# `docker run IMAGE serve ...` come after --bind, so theirs wins, and -m adds modules. Any
# other subcommand (ps, send, info, ...) runs as is.
set -eu
if [ "${1:-serve}" = serve ]; then
  [ $# -gt 0 ] && shift
  set -- serve --bind "${ACTORGRPC_BIND:-0.0.0.0:7070}" "$@"
  for module in $(printf '%s' "${ACTORGRPC_MODULES:-}" | tr ',' ' '); do
    set -- "$@" -m "$module"
  done
fi
exec actorgrpc "$@"
