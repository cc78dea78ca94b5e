"""``python -m actorgrpc``: the command line."""

from .cli import main

main(prog_name="actorgrpc")
