"""The built-in bank: every question validates and the coverage rules hold."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from viva.bank import AREAS, BUILTIN_BANK, check_files, load_bank
from viva.bank.loader import bank_files
from viva.cli import cli

FIELDS = {
    "id",
    "area",
    "topic",
    "difficulty",
    "kind",
    "question",
    "key_points",
    "misconceptions",
    "model_answer",
    "tags",
    "references",
}


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def test_every_shipped_file_validates():
    files = bank_files([BUILTIN_BANK])
    assert files, "no bank files shipped"
    _, problems = check_files(files)
    assert [str(p) for p in problems] == []


def test_each_area_has_at_least_20_questions(bank):
    counts = Counter(q.area for q in bank)
    assert {a: counts[a] for a in AREAS if counts[a] < 20} == {}
    assert len(bank) >= 140


@pytest.mark.parametrize("area", list(AREAS))
def test_each_area_has_4_questions_per_difficulty_and_several_kinds(bank, area):
    questions = [q for q in bank if q.area == area]
    per_level = Counter(int(q.difficulty) for q in questions)
    assert all(per_level[d] >= 4 for d in (1, 2, 3)), per_level
    assert len({q.kind for q in questions}) >= 3


@pytest.mark.parametrize(("area", "topic"), [(a.id, t) for a in AREAS.values() for t in a.topics])
def test_every_required_topic_has_two_questions(bank, area, topic):
    assert sum(q.area == area and q.topic == topic for q in bank) >= 2


def test_system_design_has_the_three_required_questions(bank):
    topics = Counter(q.topic for q in bank if q.area == "system_design")
    assert topics["interview-simulator"] and topics["factual-accuracy"] and topics["scaling-service"]


def test_ids_are_unique_and_key_points_distinct(bank):
    for q in bank:
        texts = [p.text.lower() for p in q.key_points]
        assert len(set(texts)) == len(texts), q.id
        assert q.model_answer not in texts


def test_list_json_prints_full_question_objects():
    result = CliRunner().invoke(cli, ["bank", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) >= 140
    assert all(set(q) == FIELDS for q in data)
    assert set(data[0]["key_points"][0]) == {"id", "text", "weight", "probe"}
    assert set(data[0]["misconceptions"][0]) == {"claim", "why"}


def test_list_filters_by_area_and_difficulty():
    result = CliRunner().invoke(cli, ["bank", "list", "--area", "safety", "--difficulty", "3", "--format", "json"])
    data = json.loads(result.output)
    assert data and all(q["area"] == "safety" and q["difficulty"] == 3 for q in data)


def test_unknown_area_lists_the_valid_ones():
    result = CliRunner().invoke(cli, ["bank", "list", "--area", "vibes"])
    assert result.exit_code == 2
    assert "unknown area 'vibes'" in result.output and "system_design" in result.output


def test_show_and_stats(bank):
    qid = next(iter(bank)).id
    shown = CliRunner().invoke(cli, ["bank", "show", qid])
    assert shown.exit_code == 0 and qid in shown.output and "Rubric" in shown.output
    stats = CliRunner().invoke(cli, ["bank", "stats", "--format", "json"])
    assert json.loads(stats.output)["total"] == len(bank)
    missing = CliRunner().invoke(cli, ["bank", "show", "nope.nope"])
    assert missing.exit_code == 2 and "viva bank list" in missing.output
