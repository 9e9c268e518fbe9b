"""`viva usage`: calls, tokens, cost, latency p50/p95 and cache hit rate per model and per day."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import text

from viva.store.db import Store


def _percentile(values: list[int], q: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def usage_summary(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT model, substr(created_at, 1, 10) AS day, prompt_tokens, completion_tokens, "
                "latency_ms, cost_usd, cache_hit, ok FROM llm_calls ORDER BY created_at"
            )
        ).all()
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in rows:
        groups[(r.model, r.day)].append(r)
    out = []
    for (model, day), calls in sorted(groups.items()):
        live = [c for c in calls if not c.cache_hit and c.ok]
        costs = [c.cost_usd for c in calls if not c.cache_hit and c.ok]
        out.append(
            {
                "model": model,
                "day": day,
                "calls": len(calls),
                "errors": sum(not c.ok for c in calls),
                "prompt_tokens": sum(c.prompt_tokens or 0 for c in calls),
                "completion_tokens": sum(c.completion_tokens or 0 for c in calls),
                # Unknown price anywhere makes the total unknown: a partial sum would understate the bill.
                "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 6),
                "latency_p50_ms": _percentile([c.latency_ms for c in live], 0.5),
                "latency_p95_ms": _percentile([c.latency_ms for c in live], 0.95),
                "cache_hit_rate": round(sum(c.cache_hit for c in calls) / len(calls), 3),
            }
        )
    return out
