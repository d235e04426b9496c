"""The line's own learned reader: which intent a message is, how likely danger is and of
what kind, and how close it is to an FAQ topic's examples.

One TF-IDF space (words and characters, so typos and missing accents still share most
features) serves two models trained on the whole training data:
- a logistic regression over every intent, each FAQ topic (`faq/<topic>`), and danger split
  by kind (`emergency:<kind>`, from each emergency block's `metadata.kind`). Its
  probabilities are calibrated well enough to threshold: P(danger) is the sum over kinds,
  P(faq) the sum over topics;
- the FAQ examples themselves, for `closeness`: the mean cosine similarity of a message to
  its few nearest examples of one topic. The ResponseSelector only ranks topics against each
  other, so a question about driving licences still gets a confident "nearest" topic; this
  says whether the message is near that topic at all;
- the examples of questions no topic answers, for `no_topic_closeness`, measured the same
  way: a question in a topic's words about a neighbouring need ("¿cuánto cuesta apostillar
  mi título?" beside the degree-recognition topic) sits nearer its neighbours than the
  topic's own examples, however surely the classifier names the topic.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
from scipy.sparse import csr_matrix, diags, load_npz, save_npz
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from line.core.text import normalise, question_clause
from line.understanding import names

DANGER_LABEL = f"{names.EMERGENCY_INTENT}:"
NEAREST_EXAMPLES = 3
# The logistic regression's C when config.yml does not set it (LineRouter's default).
REGULARISATION = 30.0
# L-BFGS iterations of a refit from the model's own weights. Chosen on tests/dev/ after
# three examples were added to one topic: at 40 the router reads all 1,499 development
# turns as the refit to the solver's tolerance (103 iterations) does, no probability
# more than 0.02 apart; at 20, one turn differs.
REFIT_ITERATIONS = 40
# The most FAQ examples (added, removed or edited) a refit takes: judged with 3 and 10
# added; a larger change, a bad paste above all, is a finetune, which fits to tolerance.
REFIT_MOST_EXAMPLES = 10


def label_of(intent: str, faq_topic: Optional[str] = None, kind: Optional[str] = None) -> str:
    """The router's label of a training example."""
    if intent == names.EMERGENCY_INTENT:
        return f"{DANGER_LABEL}{kind or names.GENERAL_DANGER}"
    if intent == names.FAQ_INTENT and faq_topic:
        return names.faq_key(faq_topic)
    return intent


@dataclass(frozen=True)
class RouterReading:
    intents: Mapping[str, float]  # intent -> probability (kinds and topics summed)
    faq_topics: Mapping[str, float]  # FAQ topic -> probability, given that it is an FAQ
    danger: float  # probability that the message reports danger now
    danger_kind: str  # the likeliest kind, when it does
    closeness: Mapping[str, float]  # FAQ topic -> closeness, for the topics asked about
    no_topic_closeness: float = 0.0  # closeness to the questions no topic answers
    # FAQ topic -> share of the question's known words that no example of the topic uses
    # (weighted by rarity), for the same topics as `closeness`.
    unfamiliar: Mapping[str, float] = field(default_factory=dict)


def _vectorizers(vocabularies: Sequence[Optional[dict]] = (None, None)) -> list[TfidfVectorizer]:
    """Words (1–2) and characters within words (2–5), on the normalised text."""
    words, characters = vocabularies
    return [
        TfidfVectorizer(
            preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True, vocabulary=words
        ),
        TfidfVectorizer(
            preprocessor=normalise,
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=1 if characters else 2,
            vocabulary=characters,
        ),
    ]


class IntentRouter:
    def __init__(self, regularisation: float = REGULARISATION) -> None:
        self.features = make_union(*_vectorizers())
        self.model = LogisticRegression(C=regularisation, max_iter=3000)
        self._reading_parts: list[tuple] = []  # for _one_row (_derive)
        self._topic_words: tuple = ()  # for _unfamiliar (_derive)

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], start: Optional["IntentRouter"] = None
    ) -> "IntentRouter":
        """Labels from `label_of`; FAQ examples also become the closeness references.

        From `start` (the model being finetuned), when it knows the same labels, the
        regression starts at its weights, matched by feature: a content change moves the
        optimum little, so the solver gets there in fewer iterations (its stopping rule
        is the same, so the weights are those a fit from zero finds, to its tolerance).
        The vocabulary is fitted afresh, so a new word of a new example counts."""
        matrix = self.features.fit_transform(list(texts))
        labels = list(labels)
        if start is not None and start.knows_labels(labels):
            self.model.set_params(warm_start=True)
            self.model.classes_ = np.array(start.labels)
            self.model.coef_ = start._weights_for(self._feature_names())
            self.model.intercept_ = np.array(start.model.intercept_)
        self.model.fit(matrix, labels)
        self.model.set_params(warm_start=False)
        self.labels = list(self.model.classes_)
        self._keep_references(matrix, labels)
        return self

    def refit(self, texts: Sequence[str], labels: Sequence[str]) -> "IntentRouter":
        """This model fitted again on changed examples of the same labels, in its own
        vocabulary and from its own weights, for REFIT_ITERATIONS only: the optimum moves
        little, and the solver's last hundred iterations change next to nothing
        (docs/training.md, "Examples only"). A word no earlier example had counts only
        from the next `fit`."""
        labels = list(labels)
        if not self.knows_labels(labels):
            raise ValueError("refit needs the labels the router was fitted on")
        matrix = self.features.transform(list(texts))
        full_fit = self.model.max_iter
        self.model.set_params(warm_start=True, max_iter=REFIT_ITERATIONS)
        with warnings.catch_warnings():  # stopping short of the tolerance is the point
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(matrix, labels)
        self.model.set_params(warm_start=False, max_iter=full_fit)
        self._keep_references(matrix, labels)
        return self

    def knows_labels(self, labels: Sequence[str]) -> bool:
        """Whether `labels` are exactly those this router was fitted on: what a start
        from its weights needs."""
        return sorted(set(labels)) == self.labels

    def changed_examples(self, texts: Sequence[str], labels: Sequence[str]) -> int:
        """How many FAQ examples were added or removed since the router was fitted (an edit
        is both), each compared by its features with the topic's closeness references."""
        faq = [
            (text, names.topic_of_key(label))
            for text, label in zip(texts, labels, strict=True)
            if label.startswith(names.FAQ_KEY_PREFIX)
        ]
        signatures = _row_signatures(_unit_rows(self.features.transform([t for t, _ in faq])))
        now = Counter(zip((topic for _, topic in faq), signatures, strict=True))
        before = Counter(
            (topic, signature)
            for topic, rows in self.topic_examples.items()
            for signature in _row_signatures(rows)
        )
        return sum((now - before).values()) + sum((before - now).values())

    def _keep_references(self, matrix: csr_matrix, labels: list[str]) -> None:
        """FAQ and no-topic examples, as unit rows, for `closeness`."""
        unit = _unit_rows(matrix)
        topics = [
            names.topic_of_key(label) if label.startswith(names.FAQ_KEY_PREFIX) else None
            for label in labels
        ]
        self.topic_examples = {
            topic: unit[[i for i, t in enumerate(topics) if t == topic]]
            for topic in sorted({t for t in topics if t})
        }
        self.no_topic_examples = unit[
            [i for i, label in enumerate(labels) if label == names.OUT_OF_SCOPE_INTENT]
        ]
        self._derive()

    def _derive(self) -> None:
        """What every read needs from the fitted vectorizers and the topics' examples,
        computed once: scikit-learn recomputes `idf_` at every access."""
        vectorizers = [v for _, v in self.features.transformer_list]
        self._reading_parts = [(v.build_analyzer(), v.vocabulary_, v.idf_) for v in vectorizers]
        _, vocabulary, idf = self._reading_parts[0]  # words
        single = np.zeros(len(vocabulary), dtype=bool)
        single[[c for term, c in vocabulary.items() if " " not in term]] = True
        used = {}
        for topic, examples in self.topic_examples.items():
            used[topic] = np.zeros(len(single), dtype=bool)
            used[topic][examples.indices[examples.indices < len(single)]] = True
        self._topic_words = (single, idf, used)

    def read(self, text: str, topics: Sequence[str] = (), own_top: int = 0) -> RouterReading:
        """Closeness for `topics` and for the router's own `own_top` likeliest FAQ topics:
        one reading of the text serves both."""
        vector = self._one_row(text)
        probabilities = self.model.predict_proba(vector)[0]
        intents: dict[str, float] = {}
        kinds: dict[str, float] = {}
        faq_topics: dict[str, float] = {}
        for label, probability in zip(self.labels, probabilities, strict=True):
            if label.startswith(DANGER_LABEL):
                kinds[label[len(DANGER_LABEL) :]] = float(probability)
                label = names.EMERGENCY_INTENT
            elif label.startswith(names.FAQ_KEY_PREFIX):
                faq_topics[names.topic_of_key(label)] = float(probability)
                label = names.FAQ_INTENT
            intents[label] = intents.get(label, 0.0) + float(probability)
        faq_total = sum(faq_topics.values()) or 1.0
        # One dense row: each closeness below is then one product of a sparse matrix by a
        # vector. By the sparse column instead, scipy rebuilds it as a row-major matrix of
        # the whole vocabulary's length for every topic (≈10 ms a message).
        unit = _unit_vector(vector)
        likeliest = sorted(faq_topics, key=faq_topics.get, reverse=True)[:own_top]
        measured = list(dict.fromkeys([*topics, *likeliest]))
        return RouterReading(
            intents,
            {topic: p / faq_total for topic, p in faq_topics.items()},
            sum(kinds.values()),
            max(kinds, key=kinds.get) if kinds else names.GENERAL_DANGER,
            {topic: _closeness(unit, self.topic_examples.get(topic)) for topic in measured},
            _closeness(unit, self.no_topic_examples),
            self._unfamiliar(text, measured),
        )

    def _unfamiliar(self, text: str, topics: Sequence[str]) -> dict[str, float]:
        """For each topic, the share of the question's known single words, weighted by
        their idf, that none of the topic's examples uses: "duplicado" in a question about
        a lost card, beside a topic on getting one. Closeness misses it when the rest of
        the message is in the topic's words. Unknown words (typos, slang) count for no
        topic, so they do not make a question strange. The question is `question_clause`:
        a story told before it is in words no topic uses; with no known word there, the
        whole message."""
        _, idf, used = self._topic_words
        columns = self._known_words(question_clause(text))
        if not len(columns):
            columns = self._known_words(text)
        weights = idf[columns]
        total = float(weights.sum())
        return {
            topic: float(weights[~used[topic][columns]].sum()) / total if total else 0.0
            for topic in topics
            if topic in used
        }

    def _known_words(self, text: str) -> np.ndarray:
        """The columns of the single words of `text` the router knows (the word
        vectorizer alone: no pairs, no characters)."""
        analyze, vocabulary, _ = self._reading_parts[0]
        columns = np.array(sorted({vocabulary[t] for t in analyze(text) if t in vocabulary}))
        columns = columns.astype(np.int64)
        return columns[self._topic_words[0][columns]]

    def _one_row(self, text: str) -> csr_matrix:
        """`features.transform([text])` computed as scikit-learn does (counts, 1 + log,
        idf, unit length within each vectorizer), without its checks and joblib calls,
        which cost ≈1 ms a message, half of the router's read (docs/bench.md)."""
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        offset = 0
        for analyze, vocabulary, idf in self._reading_parts:
            counts = Counter(vocabulary.get(term) for term in analyze(text))
            counts.pop(None, None)
            if counts:
                found = np.array(sorted(counts), dtype=np.int64)
                tf = np.log(np.array([counts[c] for c in found], dtype=np.float64)) + 1.0
                weights = tf * idf[found]
                columns.append(found + offset)
                values.append(weights / np.sqrt(np.sum(weights * weights)))
            offset += len(vocabulary)
        data = np.concatenate(values) if values else np.zeros(0)
        indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
        return csr_matrix((data, indices, [0, len(data)]), shape=(1, offset))

    def save(self, folder: Path) -> None:
        """Arrays and JSON only (no pickle), so loading a model runs no code from it."""
        vectorizers = [v for _, v in self.features.transformer_list]
        (folder / "router.json").write_text(
            json.dumps(
                {
                    "labels": self.labels,
                    "vocabularies": [v.vocabulary_ for v in vectorizers],
                    "topics": list(self.topic_examples),
                }
            ),
            encoding="utf-8",
        )
        np.savez(
            folder / "router.npz",
            coef=self.model.coef_,
            intercept=self.model.intercept_,
            **{f"idf{i}": v.idf_ for i, v in enumerate(vectorizers)},
        )
        for i, examples in enumerate(self.topic_examples.values()):
            save_npz(folder / f"topic{i}.npz", examples)
        save_npz(folder / "no_topic.npz", self.no_topic_examples)

    @classmethod
    def load(cls, folder: Path, regularisation: float = REGULARISATION) -> "IntentRouter":
        meta = json.loads((folder / "router.json").read_text(encoding="utf-8"))
        arrays = np.load(folder / "router.npz")
        router = cls(regularisation)
        vectorizers = _vectorizers(
            [{k: int(v) for k, v in vocabulary.items()} for vocabulary in meta["vocabularies"]]
        )
        for i, vectorizer in enumerate(vectorizers):
            vectorizer.idf_ = arrays[f"idf{i}"]
        router.features = make_union(*vectorizers)
        router.model.classes_ = np.array(meta["labels"])
        # Column-major: LogisticRegression multiplies by coef_.T, which is then contiguous;
        # row-major, scipy copies the whole weight matrix on every message (≈20 ms).
        router.model.coef_ = np.asfortranarray(arrays["coef"])
        router.model.intercept_ = arrays["intercept"]
        router.labels = list(meta["labels"])
        router.topic_examples = {
            topic: load_npz(folder / f"topic{i}.npz").tocsr()
            for i, topic in enumerate(meta["topics"])
        }
        router.no_topic_examples = load_npz(folder / "no_topic.npz").tocsr()
        router._derive()
        return router

    def _feature_names(self) -> list[tuple[int, str]]:
        """(vectorizer, term) of each column of the TF-IDF space, in column order."""
        names_: list[tuple[int, str]] = []
        for i, (_, vectorizer) in enumerate(self.features.transformer_list):
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            names_.extend((i, term) for term in terms)
        return names_

    def _weights_for(self, columns: Sequence[tuple[int, str]]) -> np.ndarray:
        """This model's weights laid out for another space's columns (0 for a new one)."""
        own = {name: column for column, name in enumerate(self._feature_names())}
        pairs = [(new, own[name]) for new, name in enumerate(columns) if name in own]
        weights = np.zeros((self.model.coef_.shape[0], len(columns)))
        if pairs:
            new, old = (np.array(side) for side in zip(*pairs, strict=True))
            weights[:, new] = self.model.coef_[:, old]
        return weights


def _closeness(unit_vector: np.ndarray, examples: Optional[csr_matrix]) -> float:
    """Mean cosine similarity to the nearest few of `examples` (unit rows)."""
    if examples is None or examples.shape[0] == 0:
        return 0.0
    similarities = np.sort(examples @ unit_vector)[::-1]
    return float(similarities[:NEAREST_EXAMPLES].mean())


def _row_signatures(matrix: csr_matrix) -> list[bytes]:
    """Each row's features and values (rounded), comparable across transforms."""
    rows = matrix.tocsr(copy=True)
    rows.sort_indices()
    return [
        rows.indices[start:end].tobytes() + np.round(rows.data[start:end], 6).tobytes()
        for start, end in zip(rows.indptr[:-1], rows.indptr[1:], strict=True)
    ]


def _unit_vector(row: csr_matrix) -> np.ndarray:
    """The one row of `row`, dense and of length 1 (a message read at run time)."""
    norm = np.sqrt(np.dot(row.data, row.data))
    dense = row.toarray().ravel()
    return dense * (1.0 / norm) if norm else dense


def _unit_rows(matrix: csr_matrix) -> csr_matrix:
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    norms[norms == 0] = 1.0
    return (diags(1.0 / norms) @ matrix).tocsr()
