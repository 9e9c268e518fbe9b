"""Run a candidate's code in a separate process it cannot escape: no network, a read-only view of the system with
secrets hidden, a fresh temp dir, and CPU, wall-time, memory, process-count and output-size limits.

Isolation is layered and reported: bubblewrap (Debian `bubblewrap`) when present; resource limits always; a pids
cgroup when viva may create one (root on Linux). In strict mode viva refuses to run without bubblewrap.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viva.errors import Problem, VivaError
from viva.labs import wire
from viva.labs.runner_source import RUNNER

PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 5
    wall_s: float = 15.0
    memory_mb: int = 1024
    processes: int = 64
    file_mb: int = 10  # largest file (results, or stdout/stderr captured to files) the sandbox may write


@dataclass(frozen=True)
class Isolation:
    bubblewrap: bool
    pids_cgroup: bool

    def describe(self, limits: Limits) -> str:
        parts = [
            "bubblewrap: no network, read-only system, secrets and home hidden, private /tmp and PIDs"
            if self.bubblewrap
            else "NO filesystem or network isolation (bubblewrap not found; install it, e.g. `apt install bubblewrap`)",
            f"limits: {limits.cpu_s} s CPU, {limits.wall_s:g} s wall, {limits.memory_mb} MB memory, "
            f"{limits.file_mb} MB output",
            f"process cap {limits.processes} (pids cgroup)" if self.pids_cgroup else "no process-count cgroup",
        ]
        return "; ".join(parts)


@dataclass
class RunResult:
    verdict: str  # ok | timeout | memory | output_limit | forbidden | error
    entries: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    duration_ms: int = 0
    isolation: str = ""


def isolation() -> Isolation:
    return Isolation(shutil.which("bwrap") is not None and _bwrap_works(), _cgroup_writable())


def _bwrap_works() -> bool:
    try:
        return (
            subprocess.run(
                ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True, timeout=10
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def _cgroup_writable() -> bool:
    return PIDS_CGROUP.is_dir() and os.access(PIDS_CGROUP, os.W_OK)


def run_candidate(
    code: str,
    function: str,
    cases: list[tuple[str, list[Any], dict[str, Any]]],
    limits: Limits | None = None,
    strict: bool = False,
) -> RunResult:
    limits = limits or Limits()
    iso = isolation()
    if strict and not iso.bubblewrap:
        raise VivaError(
            Problem(
                "sandbox",
                "strict mode needs bubblewrap, which is not available here",
                "install it (`apt install bubblewrap`) or run without --strict",
            )
        )
    with tempfile.TemporaryDirectory(prefix="viva-lab-") as tmp:
        work = Path(tmp)
        (work / "candidate.py").write_text(code, encoding="utf-8")
        (work / "runner.py").write_text(RUNNER, encoding="utf-8")
        shutil.copy(wire.__file__, work / "wire.py")
        payload = {
            "function": function,
            "cases": [{"name": n, "args": wire.encode(a), "kwargs": wire.encode(k)} for n, a, k in cases],
        }
        (work / "inputs.json").write_text(json.dumps(payload), encoding="utf-8")
        os.chmod(work, 0o777)
        result = _execute(work, limits, iso)
        result.isolation = iso.describe(limits)
        return result


def _command(work: Path, iso: Isolation) -> list[str]:
    python = [sys.executable, "-I", "-B", "runner.py"]
    if not iso.bubblewrap:
        return python
    args = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "HOME",
        "/sandbox",
        "--setenv",
        "OMP_NUM_THREADS",
        "1",
        "--setenv",
        "OPENBLAS_NUM_THREADS",
        "1",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    for path in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/etc"):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for secret in ("/etc/shadow", "/etc/gshadow", "/etc/sudoers"):
        if os.path.exists(secret):
            args += ["--ro-bind", "/dev/null", secret]
    # Only what Python and numpy need, read-only: not the home dir, not viva's data, not its source tree.
    for path in _python_paths():
        args += ["--ro-bind", path, path]
    for hidden in _viva_paths():
        args += ["--tmpfs", hidden]
    args += ["--bind", str(work), "/sandbox", "--chdir", "/sandbox"]
    return [*args, *python]


def _python_paths() -> list[str]:
    import numpy

    paths = {
        sys.base_prefix,
        sys.prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        str(Path(numpy.__file__).resolve().parents[1]),
    }
    paths |= {p for p in site.getsitepackages() if os.path.isdir(p)}
    # Mount parents before children so a child mount is not hidden by its parent's.
    return sorted(p for p in paths if p and not p.startswith(("/usr", "/bin", "/lib", "/etc")))


def _viva_paths() -> list[str]:
    """viva's own package (reference solutions) and user dir (the database), if they are inside a mounted path."""
    import viva
    from viva.config import home

    mounted = _python_paths()
    candidates = [str(Path(viva.__file__).parent), str(home())]
    return [p for p in candidates if any(p.startswith(m + os.sep) for m in mounted)]


def _execute(work: Path, limits: Limits, iso: Isolation) -> RunResult:
    cgroup = _make_cgroup(limits) if iso.pids_cgroup else None

    def limit() -> None:
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * 2**20,) * 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * 2**20,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if not iso.pids_cgroup and os.geteuid() != 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes + _my_processes(),) * 2)

    started = time.perf_counter()
    with (work / "stdout.txt").open("wb") as out, (work / "stderr.txt").open("wb") as err:
        process = subprocess.Popen(
            _command(work, iso),
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={"PATH": "/usr/bin:/bin", "HOME": str(work), "OMP_NUM_THREADS": "1"},
            preexec_fn=limit,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=limits.wall_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out, code = True, -9
        finally:
            _kill_group(process)
            if cgroup is not None:
                _remove_cgroup(cgroup)
    duration = int((time.perf_counter() - started) * 1000)
    return _interpret(work, code, timed_out, duration, limits)


def _interpret(work: Path, code: int, timed_out: bool, duration: int, limits: Limits) -> RunResult:
    # A signal shows up as -N from Python's own child, or as 128+N through bubblewrap.
    signalled = {-code, code - 128} & {signal.SIGXCPU, signal.SIGKILL, signal.SIGXFSZ}
    if timed_out or (signalled & {signal.SIGXCPU, signal.SIGKILL} and not (work / "results.json").exists()):
        return RunResult(
            "timeout", message=f"stopped after {limits.wall_s:g} s wall or {limits.cpu_s} s CPU", duration_ms=duration
        )
    if signal.SIGXFSZ in signalled or _too_big(work, limits):
        return RunResult("output_limit", message=f"wrote more than {limits.file_mb} MB of output", duration_ms=duration)
    try:
        entries = json.loads((work / "results.json").read_text(encoding="utf-8"))
        if not isinstance(entries, list):
            raise ValueError("results are not a list")
    except (OSError, ValueError):
        tail = (work / "stderr.txt").read_text(errors="replace")[-600:] if (work / "stderr.txt").exists() else ""
        verdict = "memory" if "MemoryError" in tail else "error"
        return RunResult(
            verdict,
            message=f"the code stopped before the tests finished (exit {code}). {tail}".strip(),
            duration_ms=duration,
        )
    statuses = {e.get("status") for e in entries if isinstance(e, dict)}
    for verdict in ("memory", "forbidden"):
        if verdict in statuses:
            return RunResult(verdict, entries, duration_ms=duration)
    return RunResult("ok", entries, duration_ms=duration)


def _too_big(work: Path, limits: Limits) -> bool:
    return any(f.stat().st_size >= limits.file_mb * 2**20 for f in work.iterdir() if f.is_file())


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _make_cgroup(limits: Limits) -> Path | None:
    path = PIDS_CGROUP / f"viva-lab-{uuid.uuid4().hex[:8]}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(limits.processes))
    except OSError:
        return None
    return path


def _remove_cgroup(path: Path) -> None:
    for _ in range(50):
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
            path.rmdir()
            return
        except (OSError, ValueError):
            time.sleep(0.05)


def _my_processes() -> int:
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                count += entry.stat().st_uid == uid
    return count
