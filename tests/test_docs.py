"""Every command has help text and appears in the README (the docs are tested like code)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from viva.cli import cli

README = (Path(__file__).parents[1] / "README.md").read_text()


def commands(group: click.Group, prefix: str = "viva") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        out.append((full, command))
        if isinstance(command, click.Group):
            out.extend(commands(command, full))
    return out


@pytest.mark.parametrize(("name", "command"), commands(cli), ids=[n for n, _ in commands(cli)])
def test_command_has_help_and_is_documented(name, command):
    assert (command.help or "").strip(), f"{name} has no help text"
    if not isinstance(command, click.Group):
        assert f"`{name}" in README, f"{name} is not in the README"
