"""make train-content decides between nothing, a finetune and a full training; the cheap
decisions are checked here on a dummy project; a real finetune, on a small project, is
tests/line/content/test_finetune_small_project.py."""

import os
import time
from pathlib import Path

from tests.support.content import train_content


def project(tmp_path: Path) -> Path:
    for name in ("config.yml", "domain.yml", "data/faq/shelter.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("version: '3.1'\n")
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "line.tar.gz"
    model.write_bytes(b"")
    later = time.time() + 5
    os.utime(model, (later, later))
    return tmp_path


def test_nothing_to_train_when_the_model_is_newer_than_every_input(tmp_path):
    done = train_content(project(tmp_path))
    assert done.returncode == 0
    assert "up to date: nothing to train" in done.stdout


def test_a_changed_config_always_means_a_full_training(tmp_path):
    config = project(tmp_path) / "config.yml"
    later = time.time() + 60
    os.utime(config, (later, later))
    done = train_content(tmp_path, "--check")
    assert done.returncode == 0
    assert "Full training needed: config.yml changed" in done.stdout
