"""``python -m actorgrpc``: the command line."""

from actorgrpc.ops.cli import main

main(prog_name="actorgrpc")
