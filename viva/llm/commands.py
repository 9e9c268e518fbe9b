"""Click commands for LLM settings and accounting: `viva config`, `viva llm check`, `viva usage`, `viva cache`."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from viva.errors import Problem, VivaError


@click.group("config")
def config_group() -> None:
    """Read and write settings in the user dir (flags and VIVA_* variables override them)."""


@config_group.command("set")
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Set KEY to VALUE (e.g. `viva config set llm.base_url http://127.0.0.1:8080/v1`)."""
    from viva.settings import set_value

    set_value(key, value)
    click.echo(f"{key} set")


@config_group.command("get")
@click.argument("key")
def config_get(key: str) -> None:
    """Print the value in force for KEY."""
    from viva.settings import get_value

    value = get_value(key)
    click.echo("" if value is None else ("***" if key == "llm.api_key" else value))


@config_group.command("unset")
@click.argument("key")
def config_unset(key: str) -> None:
    """Remove KEY from the config file."""
    from viva.settings import set_value

    set_value(key, None)
    click.echo(f"{key} unset")


@config_group.command("list")
def config_list() -> None:
    """Every setting, its value in force and where it comes from."""
    import os

    from viva.settings import KEYS, read_config

    stored = read_config()
    for key, (env, what) in KEYS.items():
        value, source = (os.environ[env], env) if os.environ.get(env) else (stored.get(key), "config.json")
        if value is None:
            value, source = "", "not set"
        if key == "llm.api_key" and value:
            value = "***"
        click.echo(f"{key} = {value}  ({source}; {what})")


@click.group("llm")
def llm_group() -> None:
    """The optional LLM (any OpenAI-compatible server)."""


@llm_group.command("check")
@click.option("--llm-url", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1")
@click.option("--llm-model", help="Model name.")
def llm_check(llm_url: str | None, llm_model: str | None) -> None:
    """Show what is configured, make one round trip, and test structured (JSON-schema) output."""

    from viva.llm.openai_compat import OpenAICompatible
    from viva.settings import llm_settings

    settings = llm_settings(llm_url, llm_model)
    if settings is None:
        click.echo(
            "No LLM configured: viva grades offline. Set --llm-url and --llm-model (or VIVA_LLM_BASE_URL and "
            "VIVA_LLM_MODEL, or `viva config set llm.base_url ...`)."
        )
        return
    for key, value in settings.describe().items():
        click.echo(f"{key}: {value}")
    with contextlib.closing(
        OpenAICompatible(settings.base_url, settings.model, settings.api_key, settings.timeout_s, retries=0)
    ) as model:
        _round_trips(model)


def _round_trips(model: Any) -> None:
    from pydantic import BaseModel

    from viva.llm.types import LLMError, Message

    started = time.perf_counter()
    try:
        reply = model.complete([Message("user", "Reply with the single word: ready")], params={"max_tokens": 8})
    except LLMError as e:
        raise VivaError(Problem("llm check", e.what, e.fix)) from None
    click.echo(f"round trip: ok in {(time.perf_counter() - started) * 1000:.0f} ms ({reply.text.strip()[:40]!r})")

    class Probe(BaseModel):
        ok: bool
        word: str

    try:
        structured = model.complete(
            [Message("user", 'Reply with JSON: {"ok": true, "word": "ready"}')],
            schema=Probe,
            params={"max_tokens": 40, "temperature": 0},
        )
        text = structured.text[structured.text.find("{") : structured.text.rfind("}") + 1]
        Probe.model_validate_json(text)
        click.echo("structured output: ok")
    except (LLMError, ValueError) as e:
        click.echo(
            f"structured output: not reliable ({str(e)[:120]}) — the judge retries once, then falls back "
            "to the offline grade"
        )


@click.command("usage")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def usage_cmd(fmt: str) -> None:
    """LLM calls, tokens, cost, latency p50/p95 and cache hit rate per model and day."""
    from viva.llm.usage import usage_summary
    from viva.store import open_store

    rows = usage_summary(open_store())
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No LLM calls yet.")
        return
    table = Table("model", "day", "calls", "errors", "tokens in/out", "cost $", "p50 ms", "p95 ms", "cache hits")
    for r in rows:
        cost = "unknown" if r["cost_usd"] is None else f"{r['cost_usd']:.4f}"
        table.add_row(
            r["model"],
            r["day"],
            str(r["calls"]),
            str(r["errors"]),
            f"{r['prompt_tokens']}/{r['completion_tokens']}",
            cost,
            str(r["latency_p50_ms"]),
            str(r["latency_p95_ms"]),
            f"{r['cache_hit_rate']:.0%}",
        )
    Console().print(table)


@click.group("cache")
def cache_group() -> None:
    """The LLM response cache."""


@cache_group.command("clear")
def cache_clear() -> None:
    """Delete every cached LLM response."""
    from viva.llm.accounting import clear_cache
    from viva.store import open_store

    click.echo(f"removed {clear_cache(open_store())} cached response(s)")
