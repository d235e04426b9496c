"""Deterministic service-category recognition for the directory search.

The slot `service_category` must hold a contract id even when the model's
entity extraction misses "alberge" or "sicologo"; synonyms live in
`lexicon/categories.yml` so the content team can add the words people use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml
from rapidfuzz import fuzz, process

from line.core.text import normalise, whole_words
from line.core.topics import category_ids, faq_ids

__all__ = ["category_ids", "faq_topic_categories", "find_category"]

LEXICON = Path(__file__).parent / "lexicon" / "categories.yml"
# Typos are only looked for in words this long: shorter ones are too close to
# unrelated words ("bono"/"bote").
FUZZY_MIN_LENGTH = 6
# fuzz.ratio of one wrong letter in a 7-letter word ("colejio") is 85.7.
FUZZY_CUTOFF = 85


@dataclass(frozen=True)
class _Lexicon:
    ids: tuple[str, ...]  # priority order of the file
    phrases: tuple[tuple[re.Pattern, ...], ...]  # per id, same order
    weak: tuple[tuple[re.Pattern, ...], ...]
    fuzzy: dict[str, int]  # plain word -> rank of its id
    not_typos: frozenset[str]
    faq_topics: dict[str, str]  # FAQ topic -> the category that answers it with a place


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """Load categories.yml once and check it names exactly the contract's ids."""
    with open(LEXICON, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    entries = data["categories"]
    if set(entries) != set(category_ids()):
        different = sorted(set(entries) ^ set(category_ids()))
        raise ValueError(f"categories.yml ids differ from the contract: {different}")
    ids = tuple(entries)
    unknown = {t for i in ids for t in entries[i].get("faq_topics", ())} - set(faq_ids())
    if unknown:
        raise ValueError(f"categories.yml names FAQ topics not in the contract: {sorted(unknown)}")
    return _Lexicon(
        ids=ids,
        phrases=tuple(tuple(whole_words(p) for p in entries[i]["phrases"]) for i in ids),
        weak=tuple(tuple(whole_words(p) for p in entries[i].get("weak", ())) for i in ids),
        fuzzy={
            word: rank
            for rank, i in enumerate(ids)
            for word in entries[i].get("fuzzy", ())
            if len(word) >= FUZZY_MIN_LENGTH
        },
        not_typos=frozenset(data.get("not_typos", ())),
        faq_topics={topic: i for i in ids for topic in entries[i].get("faq_topics", ())},
    )


def faq_topic_categories() -> dict[str, str]:
    """FAQ topic -> the category that answers its question when a place comes with it."""
    return dict(_lexicon().faq_topics)


def _best_rank(folded: str, tier: tuple[tuple[re.Pattern, ...], ...]) -> Optional[int]:
    """Rank of the winning category: matches inside a longer match are dropped,
    then the category listed first wins."""
    spans = [
        (m.start(), m.end(), rank)
        for rank, patterns in enumerate(tier)
        for p in patterns
        for m in p.finditer(folded)
    ]
    kept = [
        rank
        for start, end, rank in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    ]
    return min(kept, default=None)


def _typo_rank(folded: str, lexicon: _Lexicon) -> Optional[int]:
    ranks = []
    for word in folded.split():
        if len(word) >= FUZZY_MIN_LENGTH and word not in lexicon.not_typos:
            hit = process.extractOne(
                word, lexicon.fuzzy.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if hit:
                ranks.append(lexicon.fuzzy[hit[0]])
    return min(ranks, default=None)


def find_category(text: str) -> Optional[str]:
    """The service category a message names: phrases first, then weak words, then typos."""
    lexicon = _lexicon()
    folded = normalise(text)
    for rank in (_best_rank(folded, lexicon.phrases), _best_rank(folded, lexicon.weak)):
        if rank is not None:
            return lexicon.ids[rank]
    rank = _typo_rank(folded, lexicon)
    return None if rank is None else lexicon.ids[rank]
