"""The committed generated code matches the protos (``make proto`` regenerates it)."""

import filecmp
import os
import subprocess
import sys

from .support import ROOT


def test_python_stubs_are_fresh(tmp_path):
    protos = os.path.join(ROOT, "protos")
    sources = sorted(os.path.join("actorgrpc", "v1", f)
                     for f in os.listdir(os.path.join(protos, "actorgrpc", "v1")))
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}",
                    f"--python_out={tmp_path}", f"--pyi_out={tmp_path}",
                    f"--grpc_python_out={tmp_path}", *sources], check=True, cwd=protos)
    generated = os.path.join(tmp_path, "actorgrpc", "v1")
    committed = os.path.join(ROOT, "actorgrpc", "v1")
    names = sorted(f for f in os.listdir(generated) if f.endswith((".py", ".pyi")))
    assert names, "protoc generated nothing"
    match, mismatch, errors = filecmp.cmpfiles(generated, committed, names, shallow=False)
    assert not mismatch and not errors, (
        f"stale generated code {mismatch + errors}: run `make proto`")
    stray = {f for f in os.listdir(committed) if f.endswith("_pb2.py")} - set(names)
    assert not stray, f"generated files without a proto: {stray}"
