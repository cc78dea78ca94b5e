#!/bin/sh
# Entry point of the arbiter image. `serve` gets --bind from ACTORGRPC_BIND, TLS and
# tokens from ACTORGRPC_SECRETS_DIR (made at first start by `actorgrpc secrets init`
# unless mounted: tokens, tls.crt, tls.key; ACTORGRPC_TLS_HOSTS adds names to the
# certificate), then one -m per module of ACTORGRPC_MODULES (comma or space
# separated). Arguments given to `docker run IMAGE serve ...` come after those flags,
# so theirs win. ACTORGRPC_INSECURE=1 serves without TLS and tokens (--insecure).
# Any other subcommand (ps, send, info, ...) runs as is.
set -eu
if [ "${1:-serve}" = serve ]; then
  [ $# -gt 0 ] && shift
  bind=${ACTORGRPC_BIND:-0.0.0.0:7070}
  if [ "${ACTORGRPC_INSECURE:-0}" = 1 ]; then
    set -- serve --bind "$bind" --insecure "$@"
  else
    secrets=${ACTORGRPC_SECRETS_DIR:-/app/secrets}
    hosts="--host $(hostname)"
    for name in $(printf '%s' "${ACTORGRPC_TLS_HOSTS:-}" | tr ',' ' '); do
      hosts="$hosts --host $name"
    done
    # shellcheck disable=SC2086  # one word per --host and name
    actorgrpc secrets init "$secrets" $hosts >&2
    set -- serve --bind "$bind" --auth-token-file "$secrets/tokens" \
      --tls-cert "$secrets/tls.crt" --tls-key "$secrets/tls.key" "$@"
  fi
  for module in $(printf '%s' "${ACTORGRPC_MODULES:-}" | tr ',' ' '); do
    set -- "$@" -m "$module"
  done
fi
exec actorgrpc "$@"
