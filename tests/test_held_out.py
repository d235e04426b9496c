"""The sets that measure the line stay out of what it learns from.

A message of tests/nlu, tests/dev (and tests/dev/nlu), tests/frozen or the shared public
sample found again in data/ would make its figure a memory test. Short messages ("hola",
"gracias") are what everyone writes, so only messages of five words or more count.
"""

from pathlib import Path

import pytest

from bench.eval_sets import load_cases
from bench.keyword_baseline import NLU_TEST_SETS, load_examples
from line.core.text import normalise

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLE = ROOT.parent / "shared" / "eval" / "examples.yml"
MIN_WORDS = 5


def _held_out_sets() -> dict[str, list[str]]:
    sets = {name: [text for text, _ in load_examples(ROOT / name)] for name in NLU_TEST_SETS}
    for path in [*(ROOT / "tests/dev").glob("*.yml"), *(ROOT / "tests/frozen").glob("*.yml")]:
        sets[str(path.relative_to(ROOT))] = [t for c in load_cases(path) for t in c.turns]
    if SHARED_SAMPLE.exists():
        sets["shared/eval/examples.yml"] = [t for c in load_cases(SHARED_SAMPLE) for t in c.turns]
    return sets


TRAINING = {normalise(text) for text, _ in load_examples(ROOT / "data")}
HELD_OUT = _held_out_sets()


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_no_held_out_message_is_a_training_example(name):
    messages = HELD_OUT[name]
    assert messages, f"{name} holds no message"
    found = [m for m in messages if len(m.split()) >= MIN_WORDS and normalise(m) in TRAINING]
    assert not found, f"{name}: {len(found)} message(s) are also in data/: {found[:5]}"
