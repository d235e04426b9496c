"""A copy of the line's content files (data/, contract/, domain.yml) that the topic editor
writes instead of this checkout (`settings.content_root`), and the same copy made a git
repository. Plugin of tests/conftest.py (fixtures `content_copy`, `content_repo`)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from line.core import settings as config
from tests.support.requirements import ROOT


def train_content(project: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`make train-content`'s program run in `project`, a Python of its own: Rasa's patches
    and TensorFlow stay out of the test process."""
    return line_python(project, "-m", "line.content.train_content", *args, timeout=timeout)


def line_python(cwd: Path, *argv: str, timeout: int) -> subprocess.CompletedProcess:
    """The line's Python, with this checkout importable, run in `cwd`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def content_copy(tmp_path, monkeypatch) -> Path:
    """The content files copied to a folder that is no git checkout, pointed at by
    `content_root`; take it after any fixture that replaces the settings."""
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "contract", root / "contract")
    for name in ("domain.yml", ".gitignore"):
        shutil.copy(ROOT / name, root / name)
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, content_root=root))
    return root


@pytest.fixture
def content_repo(content_copy) -> Path:
    """The copy as a git checkout with one commit, by someone who is not an editor."""
    git(content_copy, "init", "-q", "-b", "main")
    git(content_copy, "add", ".")
    git(
        content_copy,
        "-c",
        "user.name=Seed",
        "-c",
        "user.email=seed@example.org",
        "commit",
        "-q",
        "-m",
        "seed",
    )
    return content_copy
