"""The keyword baseline every learned part is compared with: TF-IDF over words and
characters, one logistic regression over all labels (each non-FAQ intent and each
faq/<topic>), trained on data/ and always forced to answer.

For whole conversations (bench/eval_sets.py) it acts as a line would with nothing but
that classifier: an emergency label hands over with the numbers, a personal case,
request for a person, complaint or out-of-scope hands over, a search label searches
with the lexicons' category and place, and a FAQ label answers that topic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from bench.keyword_baseline import load_examples
from line.core.text import normalise
from line.understanding import categories, places

HANDOFF_LABELS = {"emergency", "personal_case", "request_human", "complaint", "out_of_scope"}
SEARCH_LABELS = {"find_service", "inform"}
EVERY_EMERGENCY_NUMBER = "105 100 106 116 113 1818"


def pipeline():
    return make_pipeline(
        make_union(
            TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(
                preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
            ),
        ),
        LogisticRegression(C=10, max_iter=2000),
    )


class TfidfBaseline:
    def __init__(self, model) -> None:
        self.model = model

    @classmethod
    def trained_on(cls, data_dir: Path) -> "TfidfBaseline":
        examples = load_examples(data_dir)
        return cls(pipeline().fit([t for t, _ in examples], [label for _, label in examples]))

    def predict(self, texts: list[str]) -> list[str]:
        return list(self.model.predict(texts))

    def play(self, turns: list[str], outcome):
        """Fills `outcome` (bench.eval_sets.Outcome) as the line's tracker would be read."""
        outcome.slots = {"service_category": None, "region": None}
        for turn, label in zip(turns, self.predict(turns), strict=False):
            outcome.faq_last = []
            if label.startswith("faq/"):
                outcome.faq_last = [label[4:]]
                outcome.faq_all.append(label[4:])
            elif label in HANDOFF_LABELS:
                outcome.handoff = True
                if label == "emergency":
                    outcome.emergency_wording = True
                    outcome.texts.append(EVERY_EMERGENCY_NUMBER)
            elif label in SEARCH_LABELS:
                category: Optional[str] = categories.find_category(turn)
                place = places.find_in_text(turn)
                outcome.slots["service_category"] = category or outcome.slots["service_category"]
                outcome.slots["region"] = place.region if place else outcome.slots["region"]
                outcome.searched = bool(
                    outcome.slots["service_category"] and outcome.slots["region"]
                )
        return outcome
