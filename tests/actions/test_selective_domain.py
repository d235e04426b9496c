"""Rasa sends its domain only to the actions that read it (endpoints.yml,
enable_selective_domain): an action that reads it without `send_domain` would fail on every
call, and one marked without reading it would carry ≈50 KB for nothing."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[2]


def reads_domain(run) -> bool:
    """Whether the body of an action's run names `domain` (reads it or passes it on)."""
    function = ast.parse(textwrap.dedent(inspect.getsource(run))).body[0]
    return any(
        isinstance(node, ast.Name) and node.id == "domain"
        for statement in function.body
        for node in ast.walk(statement)
    )


def served_actions() -> dict:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor.actions


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.production.yml"])
def test_every_endpoints_file_sends_the_domain_selectively(endpoints):
    action_endpoint = yaml.safe_load((ROOT / endpoints).read_text(encoding="utf-8"))
    assert action_endpoint["action_endpoint"]["enable_selective_domain"] is True


def test_the_domain_goes_to_exactly_the_actions_that_read_it():
    domain = Domain.load(str(ROOT / "domain.yml"))
    actions = served_actions()
    assert actions, "no action registered"
    wrong = {
        name: reads_domain(run)
        for name, run in actions.items()
        if reads_domain(run) != domain.does_custom_action_explicitly_need_domain(name)
    }
    assert not wrong, f"reads the domain (True) or not (False), against domain.yml: {wrong}"


def test_the_check_sees_a_domain_passed_on():
    def passes_it(dispatcher, tracker, domain):
        return helper(domain)  # noqa: F821 (never run)

    def ignores_it(dispatcher, tracker, domain):
        return []

    assert reads_domain(passes_it)
    assert not reads_domain(ignores_it)
