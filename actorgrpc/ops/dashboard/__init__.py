"""The arbiter's web dashboard (``actorgrpc serve --dashboard PORT``), off by default.

An arbiter plugin serving plain HTML + JS (no build step) and JSON endpoints from
the arbiter's own loop, on 127.0.0.1 unless told otherwise. Read-only: it shows
the actor table, one actor's info and recent output, the restart history (from
the event bus) and messages per second (from heartbeats); it changes nothing.
"""

from actorgrpc.ops.dashboard.plugin import DashboardPlugin

__all__ = ["DashboardPlugin"]
