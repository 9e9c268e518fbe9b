"""The LLM seam: messages in, a completion out. One protocol; a vendor is a base URL, not a class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: int = 0
    cached: bool = False


class ChatModel(Protocol):
    @property
    def name(self) -> str: ...

    def complete(
        self, messages: list[Message], *, schema: type[BaseModel] | None = None, params: dict[str, Any] | None = None
    ) -> Completion:
        """One chat completion; with `schema`, ask for JSON that fits it (the caller validates)."""
        ...


class LLMError(Exception):
    """A failed LLM call, with what went wrong and how to fix it, in one line."""

    def __init__(self, what: str, fix: str, retryable: bool = False) -> None:
        super().__init__(f"{what} — {fix}")
        self.what, self.fix, self.retryable = what, fix, retryable


@dataclass
class ScriptedChatModel:
    """Test double: replies come from a function of the messages; every call is recorded."""

    reply: Callable[[list[Message]], str]
    name: str = "scripted"
    calls: list[list[Message]] = field(default_factory=list)

    def complete(
        self, messages: list[Message], *, schema: type[BaseModel] | None = None, params: dict[str, Any] | None = None
    ) -> Completion:
        self.calls.append(list(messages))
        text = self.reply(messages)
        return Completion(text, self.name, sum(len(m.content) // 4 for m in messages), len(text) // 4, 1)
