"""The sets that measure the line stay out of what it learns from.

A message of tests/nlu, tests/dev, tests/frozen or the shared public sample found again in
data/ would make its figure a memory test. Short messages ("hola", "gracias") are what
everyone writes, so only messages of five words or more count.
"""

from pathlib import Path

import pytest
import yaml

from bench.eval_sets import load_cases
from bench.keyword_baseline import load_examples
from line.core.text import normalise

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLE = ROOT.parent / "shared" / "eval" / "examples.yml"
MIN_WORDS = 5


def _key(text: str) -> str:
    return " ".join(normalise(text).split())


def _nlu_examples(path: Path) -> list[str]:
    blocks = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
    return [
        line.strip()[1:].strip()
        for block in blocks
        for line in str(block.get("examples") or "").splitlines()
        if line.strip().startswith("-")
    ]


def _held_out_sets() -> dict[str, list[str]]:
    sets = {str(p.relative_to(ROOT)): _nlu_examples(p) for p in (ROOT / "tests/nlu").glob("*.yml")}
    for path in [*(ROOT / "tests/dev").glob("*.yml"), *(ROOT / "tests/frozen").glob("*.yml")]:
        sets[str(path.relative_to(ROOT))] = [t for c in load_cases(path) for t in c.turns]
    if SHARED_SAMPLE.exists():
        sets["shared/eval/examples.yml"] = [t for c in load_cases(SHARED_SAMPLE) for t in c.turns]
    return sets


TRAINING = {_key(text) for text, _ in load_examples(ROOT / "data")}


@pytest.mark.parametrize("name", sorted(_held_out_sets()))
def test_no_held_out_message_is_a_training_example(name):
    messages = _held_out_sets()[name]
    assert messages, f"{name} holds no message"
    found = [m for m in messages if len(m.split()) >= MIN_WORDS and _key(m) in TRAINING]
    assert not found, f"{name}: {len(found)} message(s) are also in data/: {found[:5]}"
