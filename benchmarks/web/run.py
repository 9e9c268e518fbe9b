"""Load test of the web app on loopback: 200 candidates taking interviews at once. Not collected by pytest.

    python -m benchmarks.web.run            # writes benchmarks/results/web.{md,json}
    python -m benchmarks.web.run --scenario paced --database sqlite   # one run, printed, nothing written

Each run starts `viva serve --workers 4` (four worker processes sharing the database, one ONNX thread each) on a
fresh database, SQLite then PostgreSQL (a throwaway server from Debian's binaries, tests/postgres.py), and lets USERS
simulated candidates take one two-question interview each, as the pages drive it through the API: start, read the
state, answer briefly (the offline grader then asks a follow-up), answer the follow-up or move on, the second
question, then the history and the transcript. Every candidate is its own HTTP client (a browser of its own). The
grader is viva's real offline one (an ONNX sentence-embedding model in every worker); no LLM is configured. All
candidates are the single local user, so that user's history grows to hundreds of attempts during a run.

Two scenarios, each on both databases:

- **paced** (the target is judged here): candidates arrive evenly over RAMP_S seconds and pause THINK_S seconds
  (uniformly random, seeded) before every answer, every move-on and opening the transcript. A real candidate reads a
  question and types for tens of seconds to minutes; that is compressed to a few seconds so a run stays bounded, which
  makes this load heavier than real candidates would be, not lighter. All 200 are in an interview at the same time.
- **saturation**: every candidate starts at once and sends its next request the moment the previous one returns (no
  think time). That is far more load than 200 people can make; it measures throughput and shows where the server
  queues, and is reported as measured whether or not it meets the target.

Bounded: one interview per candidate and a hard stop per run; the whole benchmark takes about six minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
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
RAMP_S = 15.0
THINK_S = (3.0, 8.0)
TARGET_P99_MS = 200.0
GRADER_ROUTES = {"POST /api/sessions/{id}/answer"}  # the only route that grades (and would call an LLM judge)
ANSWER = "I would write a few tests and check the outputs by hand."
# Idle connections are dropped by the client before uvicorn's 5 s keep-alive timeout can close them under a request.
KEEPALIVE_S = 4.0


@dataclass(frozen=True)
class Scenario:
    name: str
    ramp_s: float  # candidates arrive evenly over this many seconds
    think_s: tuple[float, float]  # pause before each action, uniform in this range
    hard_stop_s: float


PACED = Scenario("paced", RAMP_S, THINK_S, hard_stop_s=120.0)
SATURATION = Scenario("saturation", 0.0, (0.0, 0.0), hard_stop_s=80.0)


@dataclass
class Log:
    """Every request's route, latency and outcome, and how many candidates are mid-interview."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    active: int = 0
    peak_active: int = 0

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

    def enter(self) -> None:
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)


async def candidate(url: str, log: Log, seed: int, scenario: Scenario) -> None:
    """One candidate's interview, as the pages drive it through the API, on a connection of its own."""
    rng = random.Random(seed)
    await asyncio.sleep(scenario.ramp_s * seed / USERS)

    async def think() -> None:
        await asyncio.sleep(rng.uniform(*scenario.think_s))

    limits = httpx.Limits(max_connections=2, keepalive_expiry=KEEPALIVE_S)
    # Plain http on loopback: verify=False only skips loading the CA bundle, ~30 ms of this process's event loop per
    # client, which would otherwise show up in every other candidate's measured latency.
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60, verify=False) as client:
        log.enter()
        try:
            sid = await interview(client, log, seed, think)
        finally:
            log.active -= 1
        if sid is None:
            return
        await log.call(client, "GET", "GET /api/sessions", "/api/sessions")
        await think()
        await log.call(client, "GET", "GET /api/sessions/{id}/transcript", f"/api/sessions/{sid}/transcript")


async def interview(client: httpx.AsyncClient, log: Log, seed: int, think: Any) -> str | None:
    body = {"questions": QUESTIONS, "follow_ups": 1, "seed": seed}
    state = await log.call(client, "POST", "POST /api/sessions", "/api/sessions", json=body)
    if state is None:
        return None
    sid: str = state["id"]
    while state is not None and state["current"] is not None:
        state = await log.call(client, "GET", "GET /api/sessions/{id}", f"/api/sessions/{sid}")
        if state is None or state["current"] is None:
            break
        position = state["current"]["position"]
        await think()
        if state["current"]["prompt_kind"] == "follow_up" and seed % 2:
            route, path, action = "POST /api/sessions/{id}/next", "next", {"position": position}
        else:
            route, path = "POST /api/sessions/{id}/answer", "answer"
            action = {"text": ANSWER, "position": position, "elapsed_s": 12.5}
        result = await log.call(client, "POST", route, f"/api/sessions/{sid}/{path}", json=action)
        state = result["state"] if result else None
    return sid


async def load(url: str, scenario: Scenario) -> tuple[Log, float, bool]:
    log = Log()
    start = time.perf_counter()
    tasks = [asyncio.create_task(candidate(url, log, seed, scenario)) for seed in range(USERS)]
    _done, pending = await asyncio.wait(tasks, timeout=scenario.hard_stop_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return log, time.perf_counter() - start, not pending


@contextmanager
def workers(database_url: str | None) -> Iterator[str]:
    """The app under uvicorn with WORKERS processes, on a fresh user dir (and database)."""
    from tests.net import free_port

    home = Path(tempfile.mkdtemp(prefix="viva-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIVA_")}
    env["VIVA_HOME"] = str(home)
    if database_url:
        env["VIVA_DATABASE_URL"] = database_url
    # Migrate once up front, so the workers do not race to create the schema.
    subprocess.run(
        [sys.executable, "-c", "from viva.store import open_store; open_store().close()"], env=env, check=True
    )
    port = free_port()
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
    # A fresh connection per request, so the kernel spreads them over the workers and each loads its model.
    for _ in range(4 * WORKERS):
        with httpx.Client(base_url=url, timeout=60) as client:
            sid = client.post("/api/sessions", json={"questions": 1, "follow_ups": 0}).json()["id"]
            client.post(f"/api/sessions/{sid}/answer", json={"text": ANSWER}).raise_for_status()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty database on the throwaway PostgreSQL server, one per run."""
    from sqlalchemy import create_engine, text

    name = f"viva_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield server_url.rsplit("/", 1)[0] + f"/{name}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _figures(times: list[float], wall_s: float) -> dict[str, Any]:
    return {
        "requests": len(times),
        "rps": round(len(times) / wall_s, 1),
        "p50_ms": round(percentile(times, 0.50), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
    }


def summarise(log: Log, wall_s: float, completed: bool) -> dict[str, Any]:
    routes = {
        route: {
            "grader": route in GRADER_ROUTES,
            **_figures(times, wall_s),
            "errors": len(log.errors[route]),
            "error_samples": log.errors[route][:3],
        }
        for route, times in sorted(log.latencies.items())
    }
    plain = [t for r, ts in log.latencies.items() if r not in GRADER_ROUTES for t in ts]
    every = [t for ts in log.latencies.values() for t in ts]
    plain_errors = sum(len(e) for r, e in log.errors.items() if r not in GRADER_ROUTES)
    return {
        "wall_s": round(wall_s, 1),
        "completed": completed,
        "peak_concurrent_candidates": log.peak_active,
        "errors": sum(len(e) for e in log.errors.values()),
        "all": _figures(every, wall_s),
        "non_grading": {**_figures(plain, wall_s), "errors": plain_errors},
        "routes": routes,
    }


def run_one(database_url: str | None, scenario: Scenario) -> dict[str, Any]:
    with workers(database_url) as url:
        log, wall_s, completed = asyncio.run(load(url, scenario))
    summary = summarise(log, wall_s, completed)
    print(f"{scenario.name} on {database_url or 'SQLite'}: {json.dumps(summary['non_grading'])}", file=sys.stderr)
    return summary


def table(runs: dict[str, dict[str, Any]]) -> str:
    names = list(runs)
    head = "| route | grades? | " + " | ".join(f"{n} req/s | {n} p50 ms | {n} p99 ms | {n} errors" for n in names)
    lines = [head + " |", "|---|---|" + "---|" * (4 * len(names))]
    routes = sorted({r for run in runs.values() for r in run["routes"]}, key=lambda r: (r in GRADER_ROUTES, r))
    empty = {"rps": 0, "p50_ms": 0, "p99_ms": 0, "errors": 0}
    for route in routes:
        cells = [_cells(runs[n]["routes"].get(route, empty)) for n in names]
        lines.append(f"| `{route}` | {'yes' if route in GRADER_ROUTES else 'no'} | " + " | ".join(cells) + " |")
    plain = [_cells(runs[n]["non_grading"]) for n in names]
    lines.append("| **all non-grading routes** | no | " + " | ".join(plain) + " |")
    every = [_cells({**runs[n]["all"], "errors": runs[n]["errors"]}) for n in names]
    lines.append("| **all routes** | | " + " | ".join(every) + " |")
    return "\n".join(lines)


def _cells(r: dict[str, Any]) -> str:
    return f"{r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']}"


def verdict(runs: dict[str, dict[str, Any]]) -> str:
    parts = []
    for name, run in runs.items():
        p99, errors = run["non_grading"]["p99_ms"], run["errors"]
        met = p99 <= TARGET_P99_MS and errors == 0 and run["completed"]
        parts.append(f"{name}: non-grading p99 {p99} ms, {errors} errors — {'met' if met else 'missed'}")
    return "; ".join(parts)


def markdown(results: dict[str, Any]) -> str:
    setup, scenarios = results["setup"], results["scenarios"]
    paced, saturation = scenarios["paced"], scenarios["saturation"]
    low, high = THINK_S
    out = [
        f"{setup['users']} candidates × one {QUESTIONS}-question interview each, {setup['workers']} uvicorn workers, "
        f"the real offline grader, on {setup['machine']}. Every candidate is its own HTTP client. Target: p99 ≤ "
        f"{TARGET_P99_MS:g} ms on routes that do not grade, and zero errors, judged on the paced scenario.",
        "",
        f"## Paced: candidates arrive over {RAMP_S:g} s and think {low:g}–{high:g} s before each action",
        "",
        "Real candidates read and type for tens of seconds to minutes per answer; the pauses are compressed to a few "
        "seconds (seeded, uniform) so the run stays bounded — heavier than real use, not lighter. Peak concurrent "
        "candidates mid-interview: " + ", ".join(f"{n} {r['peak_concurrent_candidates']}" for n, r in paced.items()),
        "",
        table(paced),
        "",
        f"**Target:** {verdict(paced)}. Wall time: {_walls(paced)}.",
        "",
        "## Saturation: all candidates at once, no think time",
        "",
        "Each candidate sends its next request the moment the previous one returns: a throughput and queueing test, "
        "far beyond what 200 people can send. Reported as measured.",
        "",
        table(saturation),
        "",
        f"Against the same target: {verdict(saturation)}. Wall time: {_walls(saturation)}.",
    ]
    return "\n".join(out) + "\n"


def _walls(runs: dict[str, dict[str, Any]]) -> str:
    return ", ".join(f"{n} {r['wall_s']} s{'' if r['completed'] else ' (hard stop hit)'}" for n, r in runs.items())


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[PACED.name, SATURATION.name], action="append")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    return parser.parse_args()


def main() -> None:
    from tests.postgres import postgres_server

    args = arguments()
    chosen = [s for s in (PACED, SATURATION) if not args.scenario or s.name in args.scenario]
    databases = args.database or ["sqlite", "postgresql"]
    scenarios: dict[str, dict[str, Any]] = {}
    with postgres_server() as server:
        if server is None:
            print("PostgreSQL is not installed (Debian package postgresql): SQLite only", file=sys.stderr)
        for scenario in chosen:
            runs = {"SQLite": run_one(None, scenario)} if "sqlite" in databases else {}
            if server is not None and "postgresql" in databases:
                with fresh_database(server) as url:
                    runs["PostgreSQL"] = run_one(url, scenario)
            scenarios[scenario.name] = runs
    if args.scenario or args.database:
        for name, runs in scenarios.items():
            print(f"\n{name}\n\n{table(runs)}\n\n{verdict(runs)}")
            for run in runs.values():
                for route, figures in run["routes"].items():
                    print(*(f"{route}: {sample}" for sample in figures["error_samples"]), sep="\n")
        return
    results = {
        "setup": {
            "users": USERS,
            "workers": WORKERS,
            "questions": QUESTIONS,
            "ramp_s": RAMP_S,
            "think_s": list(THINK_S),
            "grader": "offline-minilm (real)",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "python": platform.python_version(),
        },
        "scenarios": scenarios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (RESULTS / "web.md").write_text("# Web load benchmark\n\n`python -m benchmarks.web.run`\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
