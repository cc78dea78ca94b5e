import pytest

import actorgrpc

from .support import ArbiterProcess


@pytest.fixture(scope="module")
def arbiter_process(tmp_path_factory):
    """A real arbiter shared by one test module; checked for leftovers at the end."""
    arbiter = ArbiterProcess(run_dir=str(tmp_path_factory.mktemp("run")))
    yield arbiter
    arbiter.stop_and_check()


@pytest.fixture
def fresh_arbiter(tmp_path):
    """A real arbiter for one test only (for tests that break things)."""
    arbiter = ArbiterProcess(run_dir=str(tmp_path / "run"))
    yield arbiter
    arbiter.stop_and_check()


@pytest.fixture
async def client(arbiter_process):
    async with actorgrpc.connect(arbiter_process.address) as connection:
        yield connection
