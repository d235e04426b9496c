"""`make suggest`: turn the questions the line did not answer well into proposals.

The questions waiting for review (line/feedback/review.py: handed to a person, clarified,
unresolved, rated 👎 or answered unsure, none decided yet) are grouped by similar
wording, and each group is compared with the examples of every FAQ topic: close to one,
it is proposed as new examples for that topic; close to none, as a new topic. The
console's review inbox shows the same groups. Accepting is manual (README, content
guide), and `make test` then judges the result. Small and deterministic: TF-IDF on
character n-grams (robust to WhatsApp spelling) and agglomerative clustering, which has
no random start.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import yaml
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from line.core import db, topics
from line.core import settings as config
from line.core.text import normalise
from line.feedback import dashboard, review
from line.privacy import redact

# Cosine distance under which two questions are grouped (average linkage).
GROUP_DISTANCE = 0.75
# Cosine similarity to a topic's examples above which a group belongs to it.
TOPIC_SIMILARITY = 0.3
# How many of the nearest topics a group keeps (the inbox offers them one click away).
NEAREST = 3


@dataclass(frozen=True)
class Group:
    messages: tuple[str, ...]  # distinct redacted texts, most asked first
    asked: int  # how many messages the group holds
    nearest: tuple[tuple[str, float], ...]  # the nearest FAQ topics and their similarity

    @property
    def topic(self) -> Optional[str]:
        """The nearest FAQ topic."""
        return self.nearest[0][0] if self.nearest else None

    @property
    def similarity(self) -> float:
        return self.nearest[0][1] if self.nearest else 0.0

    @property
    def proposed_topic(self) -> Optional[str]:
        """The topic the group's questions are proposed as examples of, if one is close."""
        return self.topic if self.similarity >= TOPIC_SIMILARITY else None

    @property
    def proposal(self) -> str:
        if self.proposed_topic:
            return f"proposed examples for topic {self.proposed_topic}"
        return "proposed new topic"


def texts_to_review() -> list[str]:
    """Texts of the questions waiting for review, redacted again for the rows coded before
    the line had its detector; sensitive ones were never kept."""
    texts = [row.text for row in review.waiting()]
    redacted = {text: redact(text) for text in set(texts)}
    return [redacted[text] for text in texts]


def topic_examples(faq_dir: Optional[Path] = None) -> dict[str, tuple[str, ...]]:
    """Each FAQ topic's training examples, read from its topic file."""
    return topics.faq_examples(faq_dir or config.settings.faq_dir)


def group(texts: list[str], examples: Mapping[str, Sequence[str]]) -> list[Group]:
    """Groups of similar (redacted) texts with their nearest topics, largest group first.
    The same text asked again is grouped once and counted each time."""
    if not texts:
        return []
    asked = Counter(texts)
    distinct = sorted(asked)
    weights = np.array([asked[t] for t in distinct], dtype=float)
    topic_ids = sorted(examples)
    corpus = [normalise(t) for t in distinct]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    vectorizer.fit(corpus + [normalise(e) for t in topic_ids for e in examples[t]])
    # Rows of unit length (TfidfVectorizer's l2 norm): their products are cosine similarities,
    # so the distances come from one sparse product instead of a dense pairwise loop.
    vectors = vectorizer.transform(corpus)
    if len(distinct) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        distances = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, 2.0)
        np.fill_diagonal(distances, 0.0)
        labels = AgglomerativeClustering(
            n_clusters=None,
            distance_threshold=GROUP_DISTANCE,
            affinity="precomputed",
            linkage="average",
        ).fit_predict(distances)
    centroids = np.array(
        [_unit(_mean(vectorizer.transform([normalise(e) for e in examples[t]]))) for t in topic_ids]
    )
    groups = []
    for label in sorted(set(labels)):
        members = [i for i in range(len(distinct)) if labels[i] == label]
        centre = _mean(vectors[members], weights[members])
        similarities = centroids @ _unit(centre) if topic_ids else np.zeros(0)
        nearest = np.argsort(-similarities, kind="stable")[:NEAREST]
        groups.append(
            Group(
                messages=tuple(
                    sorted((distinct[i] for i in members), key=lambda t: (-asked[t], t))
                ),
                asked=int(weights[members].sum()),
                nearest=tuple((topic_ids[i], round(float(similarities[i]), 2)) for i in nearest),
            )
        )
    return sorted(groups, key=lambda g: (-g.asked, g.messages))


def _mean(rows, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """The (weighted) mean of a sparse matrix's rows, as a dense vector."""
    weights = np.ones(rows.shape[0]) if weights is None else weights
    return np.asarray(weights @ rows).ravel() / weights.sum()


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
    dashboard.refresh()
    groups = group(texts_to_review(), topic_examples())
    write(groups, out)
    proposed = sum(g.proposal != "proposed new topic" for g in groups)
    print(
        f"{len(groups)} group(s): {proposed} for existing topics, "
        f"{len(groups) - proposed} new. See {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
