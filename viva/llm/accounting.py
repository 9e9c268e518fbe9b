"""Every LLM call is cached (exact match) and accounted: tokens, latency, cost, cache hit, in the database."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from viva.interview.records import new_id
from viva.llm.prices import cost_usd
from viva.llm.types import ChatModel, Completion, LLMError, Message
from viva.store.db import Store, utc_now

DEFAULT_CACHE_ENTRIES = 5_000


def cache_key(model: str, messages: list[Message], schema: type[BaseModel] | None, params: dict[str, Any]) -> str:
    payload = {
        "model": model,
        "messages": [m.to_json() for m in messages],
        "params": params,
        "schema": schema.model_json_schema() if schema else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class AccountedModel:
    """A ChatModel in front of another: answers identical requests from the cache, and logs every call."""

    inner: ChatModel
    store: Store
    base_url: str = ""
    purpose: str = "judge"
    max_cache_entries: int = DEFAULT_CACHE_ENTRIES

    @property
    def name(self) -> str:
        return self.inner.name

    def complete(
        self, messages: list[Message], *, schema: type[BaseModel] | None = None, params: dict[str, Any] | None = None
    ) -> Completion:
        params = params or {}
        key = cache_key(self.inner.name, messages, schema, params)
        hit = self._cached(key)
        if hit is not None:
            self._log(hit, ok=True)
            return hit
        try:
            completion = self.inner.complete(messages, schema=schema, params=params)
        except LLMError as e:
            self._log(Completion("", self.inner.name), ok=False, error=str(e))
            raise
        self._log(completion, ok=True)
        self._store(key, completion)
        return completion

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

    def _cached(self, key: str) -> Completion | None:
        with self.store.engine.begin() as conn:
            row = conn.execute(text("SELECT response_json FROM llm_cache WHERE key = :k"), {"k": key}).first()
            if row is None:
                return None
            conn.execute(text("UPDATE llm_cache SET last_used_at = :t WHERE key = :k"), {"t": utc_now(), "k": key})
        data = json.loads(row[0])
        return Completion(**{**data, "cached": True, "latency_ms": 0})

    def _store(self, key: str, completion: Completion) -> None:
        now = utc_now()
        with self.store.engine.begin() as conn:
            conn.execute(text("DELETE FROM llm_cache WHERE key = :k"), {"k": key})
            conn.execute(
                text(
                    "INSERT INTO llm_cache (key, model, response_json, created_at, last_used_at) "
                    "VALUES (:k, :m, :r, :t, :t)"
                ),
                {"k": key, "m": completion.model, "r": json.dumps(asdict(completion)), "t": now},
            )
            # Least recently used entries go first once the cache is over its size limit.
            conn.execute(
                text(
                    "DELETE FROM llm_cache WHERE key IN (SELECT key FROM llm_cache ORDER BY last_used_at "
                    "DESC LIMIT -1 OFFSET :n)"
                )
                if self.store.engine.dialect.name == "sqlite"
                else text(
                    "DELETE FROM llm_cache WHERE key IN (SELECT key FROM llm_cache ORDER BY last_used_at "
                    "DESC OFFSET :n)"
                ),
                {"n": self.max_cache_entries},
            )

    def _log(self, c: Completion, ok: bool, error: str | None = None) -> None:
        # A cache hit costs nothing (no request was made); otherwise the price table decides, or None if unknown.
        cost = 0.0 if c.cached else cost_usd(self.inner.name, c.prompt_tokens, c.completion_tokens)
        with self.store.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO llm_calls (id, model, base_url, purpose, prompt_tokens, completion_tokens, "
                    "latency_ms, cost_usd, cache_hit, ok, error, created_at) VALUES (:id, :m, :b, :p, :pt, :ct, :l, "
                    ":c, :h, :ok, :e, :t)"
                ),
                {
                    "id": new_id(),
                    "m": self.inner.name,
                    "b": self.base_url,
                    "p": self.purpose,
                    "pt": c.prompt_tokens,
                    "ct": c.completion_tokens,
                    "l": c.latency_ms,
                    "c": cost,
                    "h": int(c.cached),
                    "ok": int(ok),
                    "e": error,
                    "t": utc_now(),
                },
            )


def clear_cache(store: Store) -> int:
    with store.engine.begin() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM llm_cache")).scalar_one()
        conn.execute(text("DELETE FROM llm_cache"))
    return int(n)
