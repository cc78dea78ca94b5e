#!/bin/sh
# The Go client's example, run by the go-example compose service: actorctl spawns an
# actor on the arbiter at $ACTORGRPC_ADDRESS, sends it commands with positional and
# keyword (KEY=VALUE) arguments, reads its info and stops it. Each line prints JSON.
set -eux
actorctl spawn go-example
actorctl send go-example ping
actorctl send go-example add 2 3
actorctl send go-example greet name=go 'punctuation=?'
actorctl send go-example echo '{"nested": [1, 2, {"ok": true}]}'
actorctl ps
actorctl stop go-example
