"""Channel targets: IP literals skip the DNS resolver; anything else is left to gRPC."""

import pytest

from actorgrpc.transport.channels import channel_target


@pytest.mark.parametrize("address, target", [
    ("127.0.0.1:7070", "ipv4:127.0.0.1:7070"),
    ("[::1]:7070", "ipv6:[::1]:7070"),
    ("localhost:7070", "localhost:7070"),
    ("unix:/run/actorgrpc.sock", "unix:/run/actorgrpc.sock"),
    ("dns:///example.test:7070", "dns:///example.test:7070"),
])
def test_channel_target(address, target):
    assert channel_target(address) == target
