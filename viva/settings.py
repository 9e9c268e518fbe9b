"""User settings: command-line flags, then VIVA_* environment variables, then `config.json` in the user dir."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viva.config import home
from viva.errors import Problem, VivaError

KEYS: dict[str, tuple[str, str]] = {  # key -> (environment variable, what it is)
    "llm.base_url": ("VIVA_LLM_BASE_URL", "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1"),
    "llm.model": ("VIVA_LLM_MODEL", "model name the server knows"),
    "llm.api_key": ("VIVA_LLM_API_KEY", "API key, if the server needs one"),
    "llm.timeout_s": ("VIVA_LLM_TIMEOUT", "seconds before a call is abandoned (default 30)"),
    "llm.cache_entries": ("VIVA_LLM_CACHE_ENTRIES", "response cache size limit (default 5000)"),
}


def config_path() -> Path:
    return home() / "config.json"


def read_config() -> dict[str, str]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise VivaError(
            Problem(str(path), f"not valid JSON ({e})", "fix it, or delete it and use `viva config set`")
        ) from None
    if not isinstance(data, dict):
        raise VivaError(Problem(str(path), "expected a JSON object", "delete it and use `viva config set`"))
    return {str(k): str(v) for k, v in data.items()}


def set_value(key: str, value: str | None) -> None:
    _check_key(key)
    data = read_config()
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    config_path().write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def get_value(key: str, flag: str | None = None) -> str | None:
    _check_key(key)
    if flag:
        return flag
    return os.environ.get(KEYS[key][0]) or read_config().get(key)


def _check_key(key: str) -> None:
    if key not in KEYS:
        raise VivaError(Problem(key, "unknown setting", "use one of: " + ", ".join(KEYS)))


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str | None
    timeout_s: float
    cache_entries: int

    def describe(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "model": self.model,
            "api_key": "set" if self.api_key else "not set",
            "timeout_s": self.timeout_s,
            "cache_entries": self.cache_entries,
        }


def llm_settings(url: str | None = None, model: str | None = None) -> LLMSettings | None:
    """The configured LLM, or None: no LLM configured means the offline path, silently and fully."""
    base_url, name = get_value("llm.base_url", url), get_value("llm.model", model)
    if not base_url and not name:
        return None
    if not base_url or not name:
        missing = "--llm-url / VIVA_LLM_BASE_URL" if not base_url else "--llm-model / VIVA_LLM_MODEL"
        raise VivaError(Problem("LLM settings", f"{missing} is not set", "give both the URL and the model, or neither"))
    try:
        timeout = float(get_value("llm.timeout_s") or 30)
        entries = int(get_value("llm.cache_entries") or 5000)
    except ValueError:
        raise VivaError(Problem("llm.timeout_s / llm.cache_entries", "not a number", "set a number")) from None
    return LLMSettings(base_url, name, get_value("llm.api_key"), timeout, entries)
