import os

import pytest

import actorgrpc

from .support import ArbiterProcess

# A pytest-xdist worker (make test runs two) has COLUMNS=80 and LINES=24 in its
# environment (seen with pytest-xdist 3.8, no terminal anywhere); the CLI would then
# cut its tables to 80 columns, where a plain `pytest` on a pipe gets 160.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("COLUMNS", "LINES"):
        os.environ.pop(variable, None)


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
