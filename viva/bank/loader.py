"""Load question banks from YAML, reporting every problem as `path:line: what — how to fix`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from viva.bank.explain import explain_error
from viva.bank.schema import BankFile, Question
from viva.errors import Problem, VivaError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BUILTIN_BANK = Path(str(resources.files("viva.bank") / "data"))


@dataclass(frozen=True)
class Source:
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Bank:
    questions: dict[str, Question] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Any:
        return iter(self.questions.values())

    def get(self, question_id: str) -> Question:
        try:
            return self.questions[question_id]
        except KeyError:
            raise VivaError(
                Problem("question id", f"no question {question_id!r}", "list the ids with `viva bank list`")
            ) from None

    @property
    def version(self) -> str:
        """A content hash: attempts record it so a grade can be traced to the rubric it was graded against."""
        digest = hashlib.sha256()
        for qid in sorted(self.questions):
            digest.update(self.questions[qid].model_dump_json().encode())
        return digest.hexdigest()[:12]


def bank_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    return files


def user_bank_paths(explicit: Sequence[Path] = ()) -> list[Path]:
    env = os.environ.get("VIVA_BANK_PATH", "")
    return [*explicit, *(Path(p) for p in env.split(os.pathsep) if p)]


def load_bank(extra: Sequence[Path] = (), *, builtin: bool = True) -> Bank:
    """The built-in bank merged with user banks (`--bank`, then VIVA_BANK_PATH); VivaError lists every problem."""
    paths = [BUILTIN_BANK] if builtin else []
    paths += user_bank_paths(extra)
    for p in paths:
        if not p.exists():
            raise VivaError(Problem(str(p), "bank path does not exist", "check --bank / VIVA_BANK_PATH"))
    bank, problems = check_files(bank_files(paths))
    if problems:
        raise VivaError(problems)
    return bank


def check_files(files: Sequence[Path]) -> tuple[Bank, list[Problem]]:
    """Validate every file, never stopping at the first problem."""
    bank = Bank()
    problems: list[Problem] = []
    for path in files:
        for question, source in _load_file(path, problems):
            if question.id in bank.questions:
                first = bank.sources[question.id]
                problems.append(
                    Problem(
                        str(source),
                        f"duplicate question id {question.id!r}, also defined at {first}",
                        "give one of them another id",
                    )
                )
                continue
            bank.questions[question.id] = question
            bank.sources[question.id] = source
    return bank, problems


def _load_file(path: Path, problems: list[Problem]) -> list[tuple[Question, Source]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(Problem.at(path, 1, f"cannot read file ({e})", "check the path and that it is UTF-8 text"))
        return []
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(e, "problem", None) or str(e)
        problems.append(
            Problem.at(path, line, f"invalid YAML: {reason}", "fix the YAML syntax (indentation, quotes, colons)")
        )
        return []
    try:
        bank_file = BankFile.model_validate(data)
    except ValidationError as e:
        problems.extend(Problem.at(path, _line_of(node, err["loc"]), *explain_error(err)) for err in e.errors())
        # Still check each question so one run reports everything; the file-level fields were reported above.
        if isinstance(data, dict) and isinstance(data.get("questions"), list):
            _check_questions(path, node, data, data["questions"], problems, skip_inherited=True)
        return []
    return _check_questions(
        path, node, {"area": bank_file.area, "topic": bank_file.topic}, bank_file.questions, problems
    )


def _check_questions(
    path: Path,
    node: yaml.Node | None,
    inherited: dict[str, Any],
    raw_questions: list[Any],
    problems: list[Problem],
    skip_inherited: bool = False,
) -> list[tuple[Question, Source]]:
    loaded: list[tuple[Question, Source]] = []
    for i, raw in enumerate(raw_questions):
        if not isinstance(raw, dict):
            line = _line_of(node, ("questions", i))
            problems.append(
                Problem.at(path, line, f"questions[{i}] is not a mapping", "write each question as key: value fields")
            )
            continue
        merged = {"area": inherited.get("area"), "topic": inherited.get("topic"), **raw}
        try:
            question = Question.model_validate(merged)
        except ValidationError as e:
            for err in e.errors():
                if skip_inherited and err["loc"][:1] in (("area",), ("topic",)) and err["loc"][0] not in raw:
                    continue
                line = _line_of(node, ("questions", i, *err["loc"]))
                problems.append(Problem.at(path, line, *explain_error(err, ("questions", i))))
            continue
        loaded.append((question, Source(path, _line_of(node, ("questions", i)))))
    return loaded


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """The 1-based line of the deepest YAML node that `loc` reaches (a missing field points at its parent)."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for key in loc:
        child = _child(node, key)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node, key: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                value: yaml.Node = v
                return value
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    return None
