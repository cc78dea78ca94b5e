"""An arbiter with supervision settings given as JSON (argv[1]), for the tests.

``{"arbiter": {Arbiter keyword arguments}, "monitors": {name: add_monitor kwargs}}``.
Prints the ready line like ``actorgrpc serve``.
"""

import json
import sys

from actorgrpc import arbiter
from actorgrpc.actor.logs import configure_logging

if __name__ == "__main__":
    settings = json.loads(sys.argv[1])
    configure_logging("INFO")
    arb = arbiter(announce=True, **settings.get("arbiter", {}))
    for name, params in settings.get("monitors", {}).items():
        arb.add_monitor(name, **params)
    arb.start()
