"""Every function of Rasa the line replaces, guarded against the Rasa that is installed.

The line uses Rasa's supported extension points where they exist (custom components and
stores, `model_class()`). Where they do not, it replaces a function of Rasa: in place (a
patch, `install`), or in a subclass that re-implements it (`check`). Either was written
against one version of Rasa's function, so before it takes effect the installed Rasa's
version and a hash of that function's source are compared with the ones it was written
for. If either differs, Rasa does not start, and the message names the change to review
(docs/model.md, "Changes to Rasa"). After reviewing one against the new Rasa, record what
was reviewed: `python -m components.rasa_compat` prints the current hashes.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Dict, Optional, Tuple

import rasa

RASA_VERSION = "3.6.21"


class RasaChanged(RuntimeError):
    """The installed Rasa is not the one a change of the line was written against."""


@dataclass(frozen=True)
class Replaced:
    """A function of Rasa (`owner.attribute`) that the line replaces: `change` names the
    line's change and where it lives, `sha256` is the hash of the source it was written
    against (the first 16 hex digits)."""

    change: str
    owner: type
    attribute: str
    sha256: str

    @property
    def qualified_name(self) -> str:
        return f"{self.owner.__module__}.{self.owner.__qualname__}.{self.attribute}"


# Rasa's own function of each attribute replaced in place, kept when it is replaced.
_originals: Dict[Tuple[type, str], Any] = {}


def original(function: Replaced) -> Callable:
    """Rasa's function itself (a classmethod's or staticmethod's underlying function),
    also once a patch replaced it."""
    found = _originals.get(
        (function.owner, function.attribute), function.owner.__dict__.get(function.attribute)
    )
    if found is None:
        raise RasaChanged(
            f"{function.qualified_name} no longer exists: review the line's "
            f"change '{function.change}'"
        )
    return getattr(found, "__func__", found)


@lru_cache(maxsize=None)
def hash_of(code: Callable) -> str:
    """The first 16 hex digits of the SHA-256 of a function's source."""
    return hashlib.sha256(inspect.getsource(code).encode("utf-8")).hexdigest()[:16]


def source_hash(function: Replaced) -> str:
    return hash_of(original(function))


def check(*functions: Replaced, version: Optional[str] = None) -> None:
    """Raise RasaChanged unless the installed Rasa is the one every function was written
    against: the same version, and the same source of each function."""
    installed = version or rasa.__version__
    for function in functions:
        if installed != RASA_VERSION:
            raise RasaChanged(
                f"Rasa {installed} is installed, but the line's change '{function.change}' "
                f"(it replaces {function.qualified_name}) was written for Rasa "
                f"{RASA_VERSION}: review it against this Rasa, then update RASA_VERSION and "
                f"the hashes in components/ (python -m components.rasa_compat)"
            )
        found = source_hash(function)
        if found != function.sha256:
            raise RasaChanged(
                f"{function.qualified_name} is not the code the line's change "
                f"'{function.change}' was written for (source hash {found}, expected "
                f"{function.sha256}): review the change against this Rasa, then record the "
                f"new hash"
            )


def install(function: Replaced, replacement: Any) -> None:
    """Check `function`, then put `replacement` in its place. Idempotent: Rasa's own
    function is kept the first time and checked every time."""
    key = (function.owner, function.attribute)
    check(function)
    _originals.setdefault(key, function.owner.__dict__[function.attribute])
    setattr(function.owner, function.attribute, replacement)


def installed(function: Replaced) -> bool:
    key = (function.owner, function.attribute)
    return key in _originals and function.owner.__dict__[function.attribute] is not _originals[key]


def uninstall(function: Replaced) -> None:
    """Put Rasa's own function back (tests undo a patch with it)."""
    saved = _originals.pop((function.owner, function.attribute), None)
    if saved is not None:
        setattr(function.owner, function.attribute, saved)


def main() -> int:
    """Print the source hash of every function the line replaces, for recording them
    after a review."""
    from components import action_calls, count_vectors, fingerprints, inference_models, spacy_nlp
    from stores import broker, lock_store, tracker_store, turns

    modules = (
        action_calls,
        count_vectors,
        fingerprints,
        inference_models,
        spacy_nlp,
        broker,
        lock_store,
        tracker_store,
        turns,
    )
    print(f"Rasa {rasa.__version__} (the line's changes were written for {RASA_VERSION})")
    for module in modules:
        for function in module.REPLACED:
            found = source_hash(function)
            mark = "" if found == function.sha256 else f"   CHANGED (was {function.sha256})"
            print(f"{found}  {function.qualified_name}  [{function.change}]{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
