"""`make suggest`: turn the questions the line could not answer into proposals.

Unresolved questions (coded "unresolved", or handed to a person) are grouped by
similar wording, and each group is compared with the examples of every FAQ
topic: close to one, it is proposed as new examples for that topic; close to
none, as a new topic. Accepting is manual (README, content guide), and
`make test` then judges the result. Small and deterministic: TF-IDF on
character n-grams (robust to WhatsApp spelling) and agglomerative clustering,
which has no random start.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import yaml
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import or_, select

from line.core import db, topics
from line.core import settings as config
from line.core.db import session_scope
from line.core.text import normalise
from line.feedback import coding
from line.feedback.coding import UNRESOLVED, Feedback
from line.privacy import redact

# Cosine distance under which two questions are grouped (average linkage).
GROUP_DISTANCE = 0.75
# Cosine similarity to a topic's examples above which a group belongs to it.
TOPIC_SIMILARITY = 0.3


@dataclass(frozen=True)
class Group:
    messages: tuple[str, ...]  # distinct redacted texts, most asked first
    asked: int  # how many messages the group holds
    topic: Optional[str]  # the nearest FAQ topic
    similarity: float

    @property
    def proposal(self) -> str:
        if self.topic and self.similarity >= TOPIC_SIMILARITY:
            return f"proposed examples for topic {self.topic}"
        return "proposed new topic"


def unresolved_texts() -> list[str]:
    """Texts of unresolved or handed-off questions; sensitive ones were never kept."""
    with session_scope() as session:
        return list(
            session.execute(
                select(Feedback.text)
                .where(
                    Feedback.text.is_not(None),
                    Feedback.feedback_type == "question",
                    or_(Feedback.topic == UNRESOLVED, Feedback.handoff.is_(True)),
                )
                .order_by(Feedback.timestamp)
            ).scalars()
        )


def topic_examples(faq_dir: Optional[Path] = None) -> dict[str, tuple[str, ...]]:
    """Each FAQ topic's training examples, read from its topic file."""
    return topics.faq_examples(faq_dir or config.settings.faq_dir)


def group(texts: list[str], examples: Mapping[str, Sequence[str]]) -> list[Group]:
    """Groups of similar texts with their nearest topic, largest group first."""
    if not texts:
        return []
    topic_ids = sorted(examples)
    corpus = [normalise(t) for t in texts]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    vectorizer.fit(corpus + [normalise(e) for t in topic_ids for e in examples[t]])
    vectors = vectorizer.transform(corpus).toarray()
    if len(texts) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=GROUP_DISTANCE, affinity="cosine", linkage="average"
        ).fit_predict(vectors)
    centroids = np.array(
        [
            _unit(vectorizer.transform([normalise(e) for e in examples[t]]).toarray().mean(axis=0))
            for t in topic_ids
        ]
    )
    groups = []
    for label in sorted(set(labels)):
        members = [i for i in range(len(texts)) if labels[i] == label]
        similarities = (
            centroids @ _unit(vectors[members].mean(axis=0)) if topic_ids else np.zeros(0)
        )
        best = int(similarities.argmax()) if topic_ids else None
        counts: dict[str, int] = {}
        for i in members:  # redacted again: rows coded before the line had its detector
            text = redact(texts[i])
            counts[text] = counts.get(text, 0) + 1
        groups.append(
            Group(
                messages=tuple(sorted(counts, key=lambda t: (-counts[t], t))),
                asked=len(members),
                topic=topic_ids[best] if best is not None else None,
                similarity=round(float(similarities[best]), 2) if best is not None else 0.0,
            )
        )
    return sorted(groups, key=lambda g: (-g.asked, g.messages))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def write(groups: list[Group], path: Path, today: Optional[date] = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [
        {
            "proposal": g.proposal,
            "nearest_topic": g.topic,
            "similarity": g.similarity,
            "asked": g.asked,
            "messages": list(g.messages),
        }
        for g in groups
    ]
    header = (
        f"# Proposals from `make suggest`, {(today or date.today()).isoformat()}.\n"
        "# Nothing here is used until a person moves it: copy good messages into\n"
        "# data/faq/<topic>.yml under examples (rewritten as a general question), or\n"
        "# start a topic with `make new-topic`. Then `make validate` and `make test`.\n"
    )
    body = yaml.safe_dump({"groups": entries}, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=config.PROJECT_ROOT / "reports" / "suggestions.yml"
    )
    out = parser.parse_args(argv).out
    db.migrate()
    if coding.tracker_available():
        coding.ingest()
    groups = group(unresolved_texts(), topic_examples())
    write(groups, out)
    proposed = sum(g.proposal != "proposed new topic" for g in groups)
    print(
        f"{len(groups)} group(s): {proposed} for existing topics, "
        f"{len(groups) - proposed} new. See {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
