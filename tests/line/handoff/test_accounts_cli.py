"""`make operator-add`: the password comes from stdin for scripts, never argv."""

import io

import pytest

from line.handoff import accounts, accounts_cli
from tests.console.conftest import PASSWORD


def run(monkeypatch, argv, stdin):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return accounts_cli.main(argv)


def test_a_script_creates_an_account_with_the_password_on_stdin(database, monkeypatch, capsys):
    assert run(monkeypatch, ["add", "Ana", "coordinator"], PASSWORD + "\n") == 0
    assert "Created coordinator account 'ana'" in capsys.readouterr().out
    assert accounts.authenticate("ana", PASSWORD)["role"] == "coordinator"


def test_the_role_defaults_to_operator(database, monkeypatch):
    assert run(monkeypatch, ["add", "beto"], PASSWORD) == 0
    assert accounts.authenticate("beto", PASSWORD)["role"] == "operator"


def test_mistakes_are_explained_and_create_nothing(database, monkeypatch, capsys):
    assert run(monkeypatch, ["add", "ana"], "corta\n") == 1
    assert "at least 10 characters" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        run(monkeypatch, ["add", "ana", "admin"], PASSWORD)
    assert usage.value.code == 1
    assert run(monkeypatch, ["add", "ana"], PASSWORD) == 0
    assert run(monkeypatch, ["add", "ana"], PASSWORD) == 1
    assert "already exists" in capsys.readouterr().err
    assert [o["username"] for o in accounts.operators()] == ["ana"]
