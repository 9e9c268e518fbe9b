"""Load test of the web app on loopback: many candidates taking interviews at once. Not collected by pytest.

    python -m benchmarks.web.run            # writes benchmarks/results/web.{md,json}

Each run starts `viva serve --workers 4` (four worker processes sharing the database, one ONNX thread each) on a
fresh database, SQLite then PostgreSQL (a throwaway server from Debian's binaries, tests/postgres.py), and lets USERS
simulated candidates take one interview each, all at once: start, read the state, answer briefly (the offline grader
then asks a follow-up), answer the follow-up or move on, then the second question, the history and the transcript.
The grader is viva's real offline one (an ONNX sentence-embedding model in every worker): the app has no setting for
a cheaper grader, and no LLM is configured. Bounded: one interview per user, a hard stop per run.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
USERS = 200
WORKERS = 4
QUESTIONS = 2
HARD_STOP_S = 80.0  # per database, so both runs finish within three minutes
TARGET_P99_MS = 200.0
GRADER_ROUTES = {"POST /api/sessions/{id}/answer"}  # the only routes that grade (and would call an LLM judge)
ANSWER = "I would write a few tests and check the outputs by hand."


@dataclass
class Log:
    """Every request's route, latency and outcome."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    async def call(self, client: httpx.AsyncClient, method: str, route: str, url: str, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except httpx.HTTPError as e:
            self.errors[route].append(f"{type(e).__name__}: {e}")
            return None
        finally:
            self.latencies[route].append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            self.errors[route].append(f"{response.status_code}: {response.text[:200]}")
            return None
        return response.json()


async def candidate(client: httpx.AsyncClient, log: Log, seed: int) -> None:
    """One interview, as the pages drive it through the API."""
    body = {"questions": QUESTIONS, "follow_ups": 1, "seed": seed}
    state = await log.call(client, "POST", "POST /api/sessions", "/api/sessions", json=body)
    if state is None:
        return
    sid = state["id"]
    while state is not None and state["current"] is not None:
        state = await log.call(client, "GET", "GET /api/sessions/{id}", f"/api/sessions/{sid}")
        if state is None or state["current"] is None:
            break
        position = state["current"]["position"]
        if state["current"]["prompt_kind"] == "follow_up" and seed % 2:
            action = {"position": position}
            result = await log.call(
                client, "POST", "POST /api/sessions/{id}/next", f"/api/sessions/{sid}/next", json=action
            )
        else:
            answer = {"text": ANSWER, "position": position, "elapsed_s": 12.5}
            route = "POST /api/sessions/{id}/answer"
            result = await log.call(client, "POST", route, f"/api/sessions/{sid}/answer", json=answer)
        state = result["state"] if result else None
    await log.call(client, "GET", "GET /api/sessions", "/api/sessions")
    await log.call(client, "GET", "GET /api/sessions/{id}/transcript", f"/api/sessions/{sid}/transcript")


async def load(url: str) -> tuple[Log, float, bool]:
    log = Log()
    limits = httpx.Limits(max_connections=USERS, max_keepalive_connections=USERS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        tasks = [asyncio.create_task(candidate(client, log, seed)) for seed in range(USERS)]
        _done, pending = await asyncio.wait(tasks, timeout=HARD_STOP_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return log, time.perf_counter() - start, not pending


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def workers(database_url: str | None) -> Iterator[str]:
    """The app under uvicorn with WORKERS processes, on a fresh user dir (and database)."""
    home = Path(tempfile.mkdtemp(prefix="viva-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIVA_")}
    env["VIVA_HOME"] = str(home)
    if database_url:
        env["VIVA_DATABASE_URL"] = database_url
    # Migrate once up front, so the workers do not race to create the schema.
    subprocess.run(
        [sys.executable, "-c", "from viva.store import open_store; open_store().close()"], env=env, check=True
    )
    port = _free_port()
    command = [sys.executable, "-m", "viva", "serve", "--workers", str(WORKERS), "--port", str(port)]
    server = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    """Ready once /healthz answers, and every worker has loaded its grader (a first answer is graded per worker)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return _warm_up(url)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not become healthy within 120 s")


def _warm_up(url: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(4 * WORKERS):
            sid = client.post("/api/sessions", json={"questions": 1, "follow_ups": 0}).json()["id"]
            client.post(f"/api/sessions/{sid}/answer", json={"text": ANSWER}).raise_for_status()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def summarise(log: Log, wall_s: float, completed: bool) -> dict[str, Any]:
    routes = {
        route: {
            "grader": route in GRADER_ROUTES,
            "requests": len(times),
            "rps": round(len(times) / wall_s, 1),
            "p50_ms": round(percentile(times, 0.50), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "errors": len(log.errors[route]),
            "error_samples": log.errors[route][:3],
        }
        for route, times in sorted(log.latencies.items())
    }
    plain = [t for r, ts in log.latencies.items() if r not in GRADER_ROUTES for t in ts]
    total = sum(len(ts) for ts in log.latencies.values())
    return {
        "wall_s": round(wall_s, 1),
        "completed": completed,
        "requests": total,
        "rps": round(total / wall_s, 1),
        "errors": sum(len(e) for e in log.errors.values()),
        "non_grader_p99_ms": round(percentile(plain, 0.99), 1),
        "routes": routes,
    }


def run_one(database_url: str | None) -> dict[str, Any]:
    with workers(database_url) as url:
        log, wall_s, completed = asyncio.run(load(url))
    return summarise(log, wall_s, completed)


def markdown(results: dict[str, Any]) -> str:
    runs = results["runs"]
    names = list(runs)
    head = "| route | grades? | " + " | ".join(f"{n} req/s | {n} p50 ms | {n} p99 ms | {n} errors" for n in names)
    lines = [head + " |", "|---|---|" + "---|" * (4 * len(names))]
    routes = sorted({r for run in runs.values() for r in run["routes"]}, key=lambda r: (r in GRADER_ROUTES, r))
    for route in routes:
        cells = []
        for n in names:
            r = runs[n]["routes"].get(route, {"rps": 0, "p50_ms": 0, "p99_ms": 0, "errors": 0})
            cells.append(f"{r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']}")
        lines.append(f"| `{route}` | {'yes' if route in GRADER_ROUTES else 'no'} | " + " | ".join(cells) + " |")
    total = " | ".join(
        f"{runs[n]['rps']} | | {runs[n]['non_grader_p99_ms']} (non-grading) | {runs[n]['errors']}" for n in names
    )
    lines.append(f"| **all routes** | | {total} |")
    setup = results["setup"]
    notes = [
        f"{setup['users']} concurrent candidates × one {QUESTIONS}-question interview, "
        f"{setup['workers']} uvicorn workers, real offline grader, on {setup['machine']}. Wall time: "
        + ", ".join(f"{n} {runs[n]['wall_s']} s{'' if runs[n]['completed'] else ' (hard stop hit)'}" for n in names)
        + f". Target: p99 ≤ {TARGET_P99_MS:g} ms on routes that do not grade, and zero errors.",
    ]
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def main() -> None:
    from tests.postgres import postgres_server

    runs = {"SQLite": run_one(None)}
    with postgres_server() as url:
        if url is None:
            print("PostgreSQL is not installed (Debian package postgresql): SQLite only", file=sys.stderr)
        else:
            runs["PostgreSQL"] = run_one(url)
    results = {
        "setup": {
            "users": USERS,
            "workers": WORKERS,
            "questions": QUESTIONS,
            "grader": "offline-minilm (real)",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "python": platform.python_version(),
        },
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (RESULTS / "web.md").write_text("# Web load benchmark\n\n`python -m benchmarks.web.run`\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
