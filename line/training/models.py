"""The model files the job handles and the Rasa instances that serve them.

The serving model is never written before the gate passes: a candidate is trained beside
it. Publishing keeps the serving model as the previous one, moves the candidate into its
place (a rename, so a Rasa started meanwhile reads one whole file) and loads it into every
instance through PUT /model, one after the other; a rollback swaps the two files back the
same way. `make run` and restarts serve the same path, so they serve what was published.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from line.core import rasa_api

ARCHIVE_METADATA = "metadata.json"


def model_id(path: Path) -> Optional[str]:
    """The id Rasa gave the model when it trained it (Rasa's /status reports it too)."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile(ARCHIVE_METADATA)
            return json.load(member).get("model_id") if member else None
    except (OSError, KeyError, ValueError, tarfile.TarError):
        return None


def state_file(model: Path) -> Path:
    """train_content's record of finetunes in a row, beside its model."""
    return model.with_name(model.name.replace(".tar.gz", "") + ".finetune.json")


def previous_of(served: Path) -> Path:
    return served.with_name(served.name.replace(".tar.gz", "") + ".previous.tar.gz")


def copy_model(source: Path, target: Path) -> None:
    """A copy with its finetune record and its time, so train_content sees the same model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    if state_file(source).exists():
        shutil.copy2(state_file(source), state_file(target))
    else:
        state_file(target).unlink(missing_ok=True)


def _move(source: Path, target: Path) -> None:
    os.replace(source, target)
    if state_file(source).exists():
        os.replace(state_file(source), state_file(target))
    else:
        state_file(target).unlink(missing_ok=True)


def install(candidate: Path, served: Path) -> None:
    """The candidate becomes the served model; the served one becomes the previous."""
    previous = previous_of(served)
    if served.exists():
        copy_model(served, previous)
    _move(candidate, served)


def swap_back(served: Path) -> None:
    """The previous model serves again; the one it replaces becomes the previous, so a
    rollback can itself be undone."""
    previous = previous_of(served)
    if not previous.exists():
        raise FileNotFoundError(previous)
    aside = served.with_name(".rollback-" + served.name)
    copy_model(served, aside)
    _move(previous, served)
    _move(aside, previous)


@dataclass(frozen=True)
class Loaded:
    url: str
    ok: bool
    error: str = ""


def load_everywhere(model: Path, urls: tuple, timeout: float) -> list[Loaded]:
    """PUT /model on each instance in turn (so behind a balancer the others keep
    answering), then check that each one serves this model's id."""
    wanted = model_id(model)
    done = []
    for url in urls:
        try:
            rasa_api.load_model(url, str(model.resolve()), timeout)
            serving = rasa_api.status(url).get("model_id")
        except rasa_api.RasaUnavailable as exc:
            done.append(Loaded(url, False, str(exc)))
            continue
        done.append(
            Loaded(url, serving == wanted, "" if serving == wanted else f"serves {serving}")
        )
    return done
