"""The one provider: the OpenAI-compatible chat-completions protocol (OpenAI, vLLM, Ollama, llama.cpp, LM Studio...).

Reliability lives here: a timeout per call, retries with exponential backoff on 429, 5xx and connection errors, and
a circuit breaker that stops calling a failing server for a while so an interview never waits on it repeatedly.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from viva.llm.types import Completion, LLMError, Message


@dataclass
class CircuitBreaker:
    """Open after `threshold` consecutive failures; stay open `cooldown_s`, then let one call try again."""

    threshold: int = 3
    cooldown_s: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return True
            return time.monotonic() - self.opened_at >= self.cooldown_s

    def record(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.failures, self.opened_at = 0, None
                return
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = time.monotonic()


class OpenAICompatible:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 3,
        breaker: CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = model
        self.retries = retries
        self.breaker = breaker or CircuitBreaker()
        self.schema_mode: str | None = None  # which structured-output dialect this server speaks, once known
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s, headers=headers, transport=transport)

    def complete(
        self, messages: list[Message], *, schema: type[BaseModel] | None = None, params: dict[str, Any] | None = None
    ) -> Completion:
        if not self.breaker.allow():
            raise LLMError(
                f"{self.base_url} failed repeatedly; not calling it for a while",
                "check the server; viva uses the offline grader meanwhile",
            )
        body: dict[str, Any] = {"model": self.model, "messages": [m.to_json() for m in messages], **(params or {})}
        try:
            if schema is not None and self.schema_mode is None:
                completion = self._negotiate(body, schema)
            else:
                fmt = _response_format(str(self.schema_mode), schema) if schema is not None else None
                if fmt is not None:
                    body["response_format"] = fmt
                completion = self._with_retries(body)
        except LLMError:
            self.breaker.record(False)
            raise
        self.breaker.record(True)
        return completion

    def _negotiate(self, body: dict[str, Any], schema: type[BaseModel]) -> Completion:
        """Servers differ in how they take a JSON schema: OpenAI, vLLM and llama-server use `json_schema`,
        llama-cpp-python uses `json_object` with a `schema`. Try each once, remember the first that works, and fall
        back to asking in the prompt alone (the caller validates either way)."""
        last: LLMError | None = None
        for mode in ("json_schema", "json_object", "none"):
            attempt = {**body, "response_format": _response_format(mode, schema)} if mode != "none" else body
            try:
                completion = self._post(attempt)
            except LLMError as e:
                if not _maybe_unsupported(e):
                    raise
                last = e
                continue
            self.schema_mode = mode
            return completion
        assert last is not None
        raise last

    def _with_retries(self, body: dict[str, Any]) -> Completion:
        call = retry(
            retry=retry_if_exception(lambda e: isinstance(e, LLMError) and e.retryable),
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=0.5, max=8),
            reraise=True,
        )(self._post)
        result: Completion = call(body)
        return result

    def _post(self, body: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        try:
            response = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            raise LLMError(
                f"{self.base_url} did not answer in time", "raise the timeout or use a smaller model", retryable=True
            ) from None
        except httpx.ConnectError:
            raise LLMError(
                f"cannot connect to {self.base_url}", "check --llm-url and that the server is running", retryable=True
            ) from None
        except httpx.HTTPError as e:
            raise LLMError(f"request to {self.base_url} failed ({e})", "check --llm-url", retryable=True) from None
        latency = int((time.perf_counter() - started) * 1000)
        _raise_for_status(response, self.model, self.base_url)
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"] or ""
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):
            raise LLMError(
                f"{self.base_url} answered with something that is not a chat completion",
                "check that --llm-url points at an OpenAI-compatible /v1 endpoint",
            ) from None
        usage = data.get("usage") or {}
        return Completion(
            text,
            str(data.get("model") or self.model),
            usage.get("prompt_tokens"),
            usage.get("completion_tokens"),
            latency,
        )

    def close(self) -> None:
        self._client.close()


def _response_format(mode: str, schema: type[BaseModel]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
        }
    if mode == "json_object":
        return {"type": "json_object", "schema": schema.model_json_schema()}
    return None


def _maybe_unsupported(error: LLMError) -> bool:
    """A 400/422/500 on a request with response_format may mean the server does not speak that dialect."""
    return "rejected the request" in error.what or "busy or failing (HTTP 500)" in error.what


def _raise_for_status(response: httpx.Response, model: str, base_url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        raise LLMError(f"{base_url} refused the API key (HTTP {status})", "set VIVA_LLM_API_KEY to a valid key")
    if status == 404:
        raise LLMError(
            f"{base_url} does not know model {model!r} or the path (HTTP 404)",
            "check --llm-model, and that --llm-url ends in /v1",
        )
    if status == 429 or status >= 500:
        raise LLMError(f"{base_url} is busy or failing (HTTP {status})", "try again later", retryable=True)
    detail = response.text[:200].replace("\n", " ")
    raise LLMError(f"{base_url} rejected the request (HTTP {status}: {detail})", "check the model and its options")
