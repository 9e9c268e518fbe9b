"""Adversarial submissions are contained with the right verdict, and the host is unaffected."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

import viva
from viva.labs.exercise import load_exercises
from viva.labs.grade import grade_submission
from viva.labs.sandbox import Limits

pytestmark = [pytest.mark.slow]
if shutil.which("bwrap") is None and not os.environ.get("CI"):
    pytestmark.append(pytest.mark.skip(reason="bubblewrap is not installed (CI installs it)"))

SOFTMAX = load_exercises()["softmax"]
FAST = Limits(cpu_s=2, wall_s=6)
EXERCISE_FILE = Path(viva.__file__).parent / "labs" / "exercises" / "softmax.yaml"


def submit(body: str, limits: Limits = FAST):
    code = "import os, sys, socket, signal, json\nimport numpy as np\n\n\ndef softmax(x, axis=-1):\n" + "\n".join(
        "    " + line for line in body.strip().splitlines()
    )
    return grade_submission(SOFTMAX, code, limits=limits)


CASES = {
    "infinite loop": ("while True:\n    pass", "timeout"),
    "fork bomb": ("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass", "timeout"),
    "allocate 10 GB": ("return np.ones(10 * 2**30, dtype=np.uint8)", "memory"),
    "open a socket": ("socket.create_connection(('93.184.216.34', 80), timeout=2)\nreturn x", "forbidden"),
    "read ~/.ssh": ("return open(os.path.expanduser('~/.ssh/id_rsa')).read()", "forbidden"),
    "read /root/.ssh": ("return open('/root/.ssh/id_rsa').read()", "forbidden"),
    "read /etc/shadow": ("return open('/etc/shadow').read()", "forbidden"),
    "read the hidden tests": (f"return open({str(EXERCISE_FILE)!r}).read()", "forbidden"),
    "write outside the temp dir": ("open('/usr/evil.txt', 'w').write('x')\nreturn x", "forbidden"),
    "print 1 GB": ("for _ in range(2**17):\n    print('x' * 8192)\nreturn x", "output_limit"),
}


@pytest.mark.parametrize(("body", "verdict"), CASES.values(), ids=list(CASES))
def test_adversarial_submission_is_contained(body, verdict):
    result = submit(body)
    assert result.verdict == verdict, result.to_json()
    assert not Path("/usr/evil.txt").exists()


def test_reading_the_viva_database_is_forbidden(isolated_home):
    from viva.store import open_store

    open_store()  # create it
    db = isolated_home / "viva.db"
    assert db.exists()
    result = submit(f"return open({str(db)!r}, 'rb').read(10)")
    assert result.verdict == "forbidden", result.to_json()


def test_environment_secrets_are_not_visible(monkeypatch):
    monkeypatch.setenv("VIVA_LLM_API_KEY", "sk-secret-value")
    result = submit("key = os.environ.get('VIVA_LLM_API_KEY')\nif key:\n    raise PermissionError(key)\nreturn x")
    assert "sk-secret-value" not in str(result.to_json())
    assert result.verdict in ("failed", "passed")


def test_killing_the_parent_leaves_the_host_unaffected():
    result = submit("os.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)\nreturn x")
    assert result.verdict == "failed"
    assert subprocess.run(["true"]).returncode == 0  # this process and the host are fine


def test_monkey_patching_the_harness_cannot_report_success():
    body = """
import builtins
fake = [{"name": n, "status": "ok", "value": 1.0} for n in ("small vector", "large values", "very negative",
        "matrix rows", "axis 0", "3-d last axis")]
with open("results.json", "w") as f:
    json.dump(fake, f)
json.dump = lambda *a, **k: None
os._exit(0)
"""
    result = submit(body)
    assert result.verdict != "passed"
    assert not any(t["passed"] for t in result.tests)


def test_fork_bomb_leaves_no_processes_behind():
    before = len(os.listdir("/proc"))
    submit("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass")
    after = len(os.listdir("/proc"))
    assert after - before < 20
    with socket.socket():
        pass  # the host can still make sockets and processes
