"""`viva kit`: a printable interviewer pack chosen from the bank, optionally weighted by a job description."""

from __future__ import annotations

import re
import textwrap
from collections import Counter

import pytest
from click.testing import CliRunner

from viva.bank import load_bank
from viva.cli import cli
from viva.kit import build_kit

RAG_JOB = "We build retrieval-augmented generation: chunking, embeddings, vector search, reranking and RAG evals."


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def question_ids(kit_md: str) -> list[str]:
    return re.findall(r"^\*.* · ([a-z0-9_]+\.[a-z0-9_.-]+)(?: · weighted.*)?\*$", kit_md, flags=re.MULTILINE)


def test_kit_markdown_has_questions_points_probes_red_flags_and_score_sheets(bank):
    result = run("kit", "--questions", "3", "--seed", "1")
    assert result.exit_code == 0, result.output
    md = result.stdout
    ids = question_ids(md)
    assert len(ids) == 3 == len(set(ids)) == md.count("## Question ")
    for qid in ids:
        q = bank.get(qid)
        assert q.question in md
        for p in q.key_points:
            assert f"**{p.text}** — weight {p.weight:g}" in md and p.probe in md
        for m in q.misconceptions:
            assert m.claim in md and m.why in md
        assert f"Ticked weight ____ / {q.total_weight:g}" in md
    assert md.count("### Score sheet") == 3 and md.count("| ☐ |") == sum(len(bank.get(i).key_points) for i in ids)
    assert "## Summary" in md and "seed 1" in md


def test_kit_is_reproducible_with_a_seed_and_says_its_seed_without_one():
    assert run("kit", "--seed", "4").stdout == run("kit", "--seed", "4").stdout
    unseeded = run("kit").stdout
    seed = re.search(r"rerun with --seed (\d+)", unseeded)
    assert seed and run("kit", "--seed", seed.group(1)).stdout == unseeded


def test_kit_filters_by_area_and_difficulty(bank):
    result = run(*"kit --area safety --area evaluation --difficulty 3 --questions 4 --seed 2".split())
    assert result.exit_code == 0
    ids = question_ids(result.stdout)
    assert len(ids) == 4
    assert {bank.get(i).area for i in ids} <= {"safety", "evaluation"}
    assert {int(bank.get(i).difficulty) for i in ids} == {3}


def test_kit_spreads_questions_over_the_areas(bank):
    ids = question_ids(run("kit", "--questions", "7", "--seed", "3").stdout)
    assert len({bank.get(i).area for i in ids}) >= 5


def test_kit_with_fewer_matching_questions_than_asked_says_so():
    result = run("kit", "--area", "safety", "--difficulty", "1", "--questions", "50", "--seed", "1")
    assert result.exit_code == 0
    shown = len(question_ids(result.stdout))
    assert 0 < shown < 50 and f"Only {shown} questions match; 50 were asked for." in result.stdout


def test_job_description_weights_the_choice_and_the_kit_says_which(bank):
    def rag_picks(job: str | None) -> int:
        kits = [build_kit(bank, ["system_design"], 1, job=job, seed=s) for s in range(60)]
        return Counter(k.questions[0].topic for k in kits)["rag"]

    assert rag_picks(RAG_JOB) > 2 * rag_picks(None)
    kit = build_kit(bank, ["system_design"], 3, job=RAG_JOB, seed=1)
    assert kit.weighted[0].startswith("system_design/rag ×")


def test_kit_job_option_names_the_weighted_topics(tmp_path):
    job = tmp_path / "job.txt"
    job.write_text(RAG_JOB)
    result = run("kit", "--area", "system_design", "--job", str(job), "--seed", "1")
    assert result.exit_code == 0
    assert "Weighted by the job description: system_design/rag ×" in result.stdout
    assert "weighted by the job description: system_design/rag" in result.stdout  # on the rag questions themselves
    job.write_text("zzz qqq")
    assert "matched no topic" in run("kit", "--job", str(job), "--seed", "1").stdout


def test_kit_bad_input_is_a_clean_error(tmp_path):
    unknown = run("kit", "--area", "vibes")
    assert unknown.exit_code == 2
    assert "unknown area 'vibes'" in unknown.output and "fundamentals, prompting" in unknown.output
    missing = run("kit", "--job", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "cannot read the job description" in missing.output
    assert run("kit", "--questions", "0").exit_code == 2
    assert run("kit", "--difficulty", "4").exit_code == 2
    assert run("kit", "--format", "pdf").exit_code == 2
    for result in (unknown, missing):
        assert "Traceback" not in result.output


USER_BANK = """\
area: safety
topic: custom-xss
questions:
  - id: safety.custom.markup
    difficulty: 2
    kind: concept
    question: Why must a report escape <script>alert(1)</script> & friends?
    key_points:
      - {id: escape, text: Escape <b>every</b> untrusted string., weight: 2, probe: What does html.escape do?}
      - {id: csp, text: A content security policy blocks inline scripts., weight: 1, probe: What else stops a script?}
      - {id: context, text: Escaping depends on the output context., weight: 1, probe: Is HTML escaping enough in JS?}
    misconceptions:
      - {claim: "Markdown is always safe <img src=x onerror=alert(1)>", why: Raw HTML passes through Markdown.}
    model_answer: Because <script> in a report runs in the reader's browser.
"""


def test_kit_html_is_one_printable_file_with_everything_escaped(tmp_path):
    banks = tmp_path / "bank"
    banks.mkdir()
    (banks / "xss.yaml").write_text(textwrap.dedent(USER_BANK))
    out = tmp_path / "kit.html"
    result = run("kit", "--bank", str(banks), *"--area safety --questions 50 --format html -o".split(), str(out))
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert "safety.custom.markup" in page
    assert "<script" not in page and "<img" not in page and "<b>every" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_kit_output_to_an_unwritable_path_is_a_clean_error(tmp_path):
    result = run("kit", "--seed", "1", "-o", str(tmp_path / "missing" / "kit.md"))
    assert result.exit_code == 2 and "cannot write" in result.output and "Traceback" not in result.output
