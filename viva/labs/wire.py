"""Plain-data encoding between viva and the sandbox: JSON with tagged numpy arrays. Never pickle: what comes
back from the sandbox is untrusted, and unpickling it would run the candidate's code in viva's process."""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_DEPTH = 20


def encode(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise ValueError(f"unsupported array dtype {value.dtype}")
        return {"__ndarray__": {"dtype": value.dtype.str, "shape": list(value.shape), "data": value.ravel().tolist()}}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return [encode(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"unsupported type {type(value).__name__}")


def decode(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if isinstance(value, dict):
        if "__ndarray__" in value:
            spec = value["__ndarray__"]
            dtype = np.dtype(str(spec["dtype"]))
            if dtype.kind not in "biuf":
                raise ValueError("unsupported array dtype")
            return np.array(spec["data"], dtype=dtype).reshape([int(n) for n in spec["shape"]])
        if "__dict__" in value:
            return {_hashable(decode(k, depth + 1)): decode(v, depth + 1) for k, v in value["__dict__"]}
        raise ValueError("unexpected object")
    if isinstance(value, list):
        return [decode(v, depth + 1) for v in value]
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
