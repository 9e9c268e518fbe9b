"""Prices per million tokens, to turn token counts into cost. Users edit `prices.json` in the user dir.

An unknown model has an unknown cost (None), never a made-up zero. The defaults are list prices published by
OpenAI (platform.openai.com/docs/pricing, 2025) for a few common models; local models cost what the user says.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from viva.config import home
from viva.errors import Problem, VivaError

DEFAULT_PRICES: dict[str, tuple[float, float]] = {  # model -> (input, output) USD per 1M tokens
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


def prices_path() -> Path:
    return home() / "prices.json"


@lru_cache(maxsize=1)
def _user_prices(path: Path, mtime: float) -> dict[str, tuple[float, float]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {model: (float(p["input_per_mtok"]), float(p["output_per_mtok"])) for model, p in data.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise VivaError(
            Problem(
                str(path),
                f"not a valid price table ({e})",
                'write {"MODEL": {"input_per_mtok": 0.15, "output_per_mtok": 0.6}}',
            )
        ) from None


def prices() -> dict[str, tuple[float, float]]:
    path = prices_path()
    user = _user_prices(path, path.stat().st_mtime) if path.exists() else {}
    return {**DEFAULT_PRICES, **user}


def cost_usd(model: str, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
    price = prices().get(model)
    if price is None or prompt_tokens is None or completion_tokens is None:
        return None
    return round((prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000, 8)
