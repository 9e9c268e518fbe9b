"""User banks merge with the built-in one; clashing ids name both files."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.test_bank_errors import GOOD, write
from viva.bank import load_bank
from viva.cli import cli


def test_user_bank_merges_with_builtin(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder, "tok.yaml", GOOD.replace("fundamentals.tok.bpe", "fundamentals.mine.bpe"))
    builtin = len(load_bank())
    merged = load_bank([folder])
    assert len(merged) == builtin + 1
    assert "fundamentals.mine.bpe" in merged.questions


def test_env_var_bank_path_merges_several(tmp_path, monkeypatch):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    write(one, "a.yaml", GOOD.replace("fundamentals.tok.bpe", "fundamentals.mine.a"))
    write(two, "b.yaml", GOOD.replace("fundamentals.tok.bpe", "fundamentals.mine.b"))
    monkeypatch.setenv("VIVA_BANK_PATH", f"{one}:{two}")
    result = CliRunner().invoke(cli, ["bank", "list", "--area", "fundamentals", "--format", "json"])
    ids = {q["id"] for q in json.loads(result.output)}
    assert {"fundamentals.mine.a", "fundamentals.mine.b"} <= ids


def test_clash_with_builtin_names_both_files(tmp_path):
    builtin = load_bank()
    taken = next(iter(builtin)).id
    folder = tmp_path / "mine"
    folder.mkdir()
    path = write(
        folder,
        "clash.yaml",
        GOOD.replace("fundamentals.tok.bpe", taken).replace("area: fundamentals", f"area: {taken.split('.')[0]}"),
    )
    result = CliRunner().invoke(cli, ["bank", "list", "--bank", str(folder)])
    assert result.exit_code == 2
    assert f"{path}:4: duplicate question id {taken!r}, also defined at {builtin.sources[taken]}" in result.output
