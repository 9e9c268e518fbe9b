"""Grading with an optional LLM judge: the offline grade always, the judge when configured and working."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from viva.bank.schema import Question
from viva.grading.grader import Grader
from viva.grading.result import Grade
from viva.grading.rubric import Rubric
from viva.llm.accounting import AccountedModel
from viva.llm.judge import combine, judge, offline_only
from viva.llm.openai_compat import OpenAICompatible
from viva.llm.types import ChatModel, LLMError
from viva.settings import LLMSettings
from viva.store.db import Store


def build_model(settings: LLMSettings, store: Store, purpose: str = "judge") -> AccountedModel:
    provider = OpenAICompatible(settings.base_url, settings.model, settings.api_key, settings.timeout_s)
    return AccountedModel(provider, store, settings.base_url, purpose, settings.cache_entries)


@dataclass
class JudgedGrader:
    offline: Grader
    model: ChatModel | None = None

    @property
    def name(self) -> str:
        return self.offline.name + (f"+judge:{self.model.name}" if self.model else "")

    def close(self) -> None:
        close = getattr(self.model, "close", None)
        if close is not None:
            close()

    def grade(self, question: Question | Rubric, answer: str) -> Grade:
        return self.grade_many([(question, answer)])[0]

    def grade_many(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[Grade]:
        grades = self.offline.grade_many(items)
        if self.model is None:
            return grades
        return [self._judge(q, a, g) for (q, a), g in zip(items, grades, strict=True)]

    def _judge(self, question: Question | Rubric, answer: str, offline: Grade) -> Grade:
        assert self.model is not None
        rubric = question if isinstance(question, Rubric) else Rubric.of(question)
        try:
            verdict = judge(self.model, rubric, answer)
        except LLMError as e:
            return offline_only(offline, e.what)
        return combine(rubric, answer, offline, verdict, self.model.name)


def grader_for(url: str | None = None, model: str | None = None, store: Store | None = None) -> JudgedGrader:
    """The grader the commands use: offline, plus the judge if an LLM is configured (flags, env or config)."""
    from viva.grading.default import default_grader
    from viva.settings import llm_settings

    settings = llm_settings(url, model)
    if settings is None:
        return JudgedGrader(default_grader())
    from viva.store import open_store

    return JudgedGrader(default_grader(), build_model(settings, store or open_store()))
