"""Closed by default: the servers bind this machine only unless LINE_BIND says otherwise,
the Rasa API token is RASA_TOKEN or one made per run in a file only its owner reads, and
the action server answers only the secret's holder or, without one, loopback callers."""

import stat
from dataclasses import replace

import pytest

from line.core import access, settings

BIND_VARIABLES = ("LINE_BIND", "CONSOLE_HOST", "WHATSAPP_GATEWAY_HOST")


@pytest.fixture
def unset_bind(monkeypatch):
    for name in BIND_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_every_server_binds_loopback_by_default(unset_bind):
    loaded = settings.load()
    assert loaded.bind_host == "127.0.0.1"
    assert loaded.console_host == "127.0.0.1"
    assert loaded.whatsapp_gateway_host == "127.0.0.1"


def test_line_bind_opens_them_and_a_server_of_its_own_still_wins(unset_bind, monkeypatch):
    monkeypatch.setenv("LINE_BIND", "0.0.0.0")
    monkeypatch.setenv("CONSOLE_HOST", "10.1.2.3")
    loaded = settings.load()
    assert loaded.bind_host == "0.0.0.0"
    assert loaded.whatsapp_gateway_host == "0.0.0.0"
    assert loaded.console_host == "10.1.2.3"


def test_bind_command_prints_the_address(unset_bind, monkeypatch, capsys):
    monkeypatch.setattr(settings, "settings", settings.load())
    assert access.main(["bind"]) == 0
    assert capsys.readouterr().out == "127.0.0.1\n"


@pytest.fixture
def token_file(tmp_path, monkeypatch):
    path = tmp_path / "var" / "rasa-token"
    monkeypatch.setattr(
        settings, "settings", replace(settings.settings, rasa_token="", rasa_token_file=path)
    )
    return path


def test_each_run_gets_a_fresh_token_only_its_owner_reads(token_file):
    first = access.new_rasa_token()
    assert len(first) >= 32
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert access.rasa_token() == first
    token_file.chmod(0o644)  # left readable by hand: the next run closes it again
    second = access.new_rasa_token()
    assert second != first
    assert access.rasa_token() == second
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_rasa_token_from_the_environment_wins_and_writes_nothing(token_file, monkeypatch):
    monkeypatch.setattr(settings, "settings", replace(settings.settings, rasa_token="given"))
    assert access.new_rasa_token() == "given"
    assert access.rasa_token() == "given"
    assert not token_file.exists()


def test_no_token_anywhere_is_empty(token_file, capsys):
    assert access.main(["rasa-token"]) == 0
    assert capsys.readouterr().out == "\n"
    assert access.main(["nonsense"]) == 2


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.0.0.53", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),
        ("192.168.1.20", False),
        ("::ffff:10.0.0.5", False),
        ("2001:db8::1", False),
        ("", False),
        (None, False),
        ("localhost", False),
    ],
)
def test_without_a_secret_only_loopback_callers_are_answered(monkeypatch, peer, allowed):
    monkeypatch.setattr(settings, "settings", replace(settings.settings, action_server_token=""))
    assert access.action_call_allowed(peer, None) is allowed
    assert access.action_call_allowed(peer, "anything") is allowed


def test_with_a_secret_only_its_holder_is_answered_wherever_it_calls_from(monkeypatch):
    monkeypatch.setattr(
        settings, "settings", replace(settings.settings, action_server_token="s3cret")
    )
    assert access.action_call_allowed("10.0.0.5", "s3cret")
    assert not access.action_call_allowed("127.0.0.1", None)
    assert not access.action_call_allowed("127.0.0.1", "")
    assert not access.action_call_allowed("127.0.0.1", "s3cre")
    assert not access.action_call_allowed("10.0.0.5", "S3CRET")


def test_a_kept_secret_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "var" / "secret"
    made = []

    def make():
        made.append(1)
        return "s3cret\n"

    assert access.kept_secret(path, make) == "s3cret"
    assert access.kept_secret(path, make) == "s3cret" and made == [1]
    assert path.stat().st_mode & 0o777 == 0o600
