"""Every command, found by walking the typer app (so commands added later are covered): help text, a help that
ends with an example using only options the command has, a README CLI-table row, and the CLI conventions
(commands return nothing and fail by raising; shared choices are usage errors, exit 2)."""

from __future__ import annotations

import inspect
import re
import shlex

import pytest
import typer

from faers.cli import app, main
from tests.conftest import REPO

ROOT = typer.main.get_command(app)


def _is_group(command) -> bool:
    return hasattr(command, "commands")  # typer vendors click: no click.Group to test against


def _walk(group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield path + (name,), command
        if _is_group(command):
            yield from _walk(command, path + (name,))


GROUPS = [(" ".join(p), c) for p, c in _walk(ROOT) if _is_group(c)]
COMMANDS = [(" ".join(p), c) for p, c in _walk(ROOT) if not _is_group(c)]
README_COMMANDS = {m.group(1).strip() for m in re.finditer(r"^\| `faers ([a-z][a-z ]*)", (REPO / "README.md").read_text(),
                                                            re.M)}


def test_the_walk_finds_the_commands():
    # a floor, not the list: the test must keep covering what others add
    names = {name for name, _ in COMMANDS}
    assert {"refresh", "status", "sql", "vocab groups", "meddra load", "report", "signals"} <= names
    assert len(names) >= 16


@pytest.mark.parametrize(("name", "command"), GROUPS, ids=[n for n, _ in GROUPS])
def test_every_group_has_help(name, command):
    assert (command.help or "").strip(), f"faers {name} has no help text"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_ending_with_a_working_example(name, command):
    text = (command.help or "").strip()
    assert len(text) > 20, f"faers {name} has no help text"
    last = text.splitlines()[-1]
    match = re.search(r"Example: (faers .+)$", last)
    assert match, f"the help of `faers {name}` must end with 'Example: faers {name} ...' (last line: {last!r})"
    words = shlex.split(match.group(1))
    assert words[1 : 1 + len(name.split())] == name.split(), f"the example of `faers {name}` runs another command"
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"the example of `faers {name}` uses {word}, which it has not"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_is_in_the_readme_cli_table(name, command):
    assert name in README_COMMANDS, f"README.md's CLI reference has no row starting | `faers {name}"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_returns_nothing_and_fails_by_raising(name, command):
    """A command returning an int would be a second way to set the exit code next to the one error mapper."""
    returns = inspect.signature(command.callback).return_annotation
    assert returns in (None, "None"), f"faers {name} is annotated -> {returns}: raise a FaersError to fail instead"


@pytest.mark.parametrize("args", [
    ["load", "--dedup", "bogus"],
    ["refresh", "--dedup", "bogus"],
    ["dedup", "bogus"],
    ["report", "--roles", "bogus"],
    ["report", "--comparator", "bogus"],
    ["signals", "--drug", "x", "--roles", "bogus"],
    ["signals", "--drug", "x", "--comparator", "bogus"],
    ["download", "--from", "2017Q5"],
    ["status", "--no-such-flag"],
], ids=" ".join)
def test_an_invalid_choice_is_a_usage_error_everywhere(args, tmp_path, capsys):
    """The same mistake exits 2 whatever the command, before anything is opened or downloaded."""
    assert main(["--home", str(tmp_path / "home"), "--index-url", "http://127.0.0.1:9/none", *args]) == 2
    err = capsys.readouterr().err
    assert "bogus" in err or "2017Q5" in err or "no-such-flag" in err
    assert "Traceback" not in err
    assert not (tmp_path / "home" / "faers.duckdb").exists()


def test_a_missing_database_is_a_data_error(tmp_path, capsys):
    for args in (["status"], ["sql", "SELECT 1"], ["dedup", "none"], ["vocab", "groups"]):
        assert main(["--home", str(tmp_path), *args]) == 1, args
        assert "no database" in capsys.readouterr().err
