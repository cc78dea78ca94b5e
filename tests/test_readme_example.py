"""The README's "Python in 20 lines" runs as printed (against a real arbiter)."""

import os
import subprocess
import sys

from .support import ROOT


def test_readme_python_example(arbiter_process, tmp_path):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text[text.index("## Python in 20 lines"):]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    script.write_text(code.replace("127.0.0.1:7070", arbiter_process.address))
    # 60 s bound: the example spawns one actor and makes six calls (~0.1 s here).
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Client and actor both enforce the 0.5 s deadline; either may word it first.
    assert lines[3].startswith("too slow: 'sleep' did not")
    assert lines[:3] + lines[4:] == ["pong", "5", "hello py! from w1",
                                     "remote error: ValueError: kaput", "running"]
