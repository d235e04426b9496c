"""Where the person is: maps what people write about places ("sjl", "trujilo",
"en el callao por bellavista") to an official region of the contract and, when
they named one, the finer place.

The vocabulary and the rules for ambiguous names live in lexicon/places.yml, so
a content team can read and change them; this module only applies them. It runs
on every message, so the index is built once and a lookup is a few dictionary
hits; rapidfuzz only looks at words that no exact name covered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from line.core.text import normalise

LEXICON = Path(__file__).resolve().parent / "lexicon" / "places.yml"

_NOT_BEFORE_GUARDED = {"de", "del"}  # "en ves de", "el porvenir de mis hijos"
# Fuzzy matching starts at 7 letters in a message: checked against a Spanish word
# list, one typo away from 5-6 letter names are everyday words ("buena" Breña,
# "calma" Casma, "cadete" Cañete). A short answer to "where are you?" is more
# likely a place, so there it starts at 6.
_FUZZY_FROM_IN_TEXT = 7
_FUZZY_FROM_IN_ANSWER = 6
_SHORT_ANSWER = 4  # words


@dataclass(frozen=True)
class Place:
    """An official region and, when the person named one, the finer place in it."""

    region: str
    city: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class _Alias:
    place: Place
    guarded: bool = False  # also an ordinary phrase: needs a context word before it
    local: bool = False  # counts only when its region is named in the same message


@dataclass(frozen=True)
class _Match:
    start: int
    aliases: tuple[_Alias, ...]
    exact: bool


class _Index:
    """The lexicon turned into lookups once, at first use."""

    def __init__(self, lexicon: dict) -> None:
        self.context = frozenset(lexicon["context"])
        self.foreign = frozenset(lexicon["foreign"])
        self.not_places = frozenset(lexicon["not_places"])
        self.aliases: dict[str, list[_Alias]] = {}
        self.regions = [entry["region"] for entry in lexicon["regions"]]
        self.official = {normalise(name): name for name in self.regions}
        points = {entry["region"]: tuple(entry["at"]) for entry in lexicon["regions"]}
        self.neighbours = {
            normalise(entry["region"]): sorted(
                entry["neighbours"],
                key=lambda other: math.dist(points[entry["region"]], points[other]),
            )
            for entry in lexicon["regions"]
        }
        self.located: list[Place] = []
        for entry in lexicon["regions"]:
            region_point = entry["at"]
            self._add(entry, Place(entry["region"], None, *region_point), entry["region"])
            for place in entry["places"]:
                point = place.get("at", region_point)
                self._add(place, Place(entry["region"], place["name"], *point), place["name"])
                if "at" in place:
                    self.located.append(Place(entry["region"], place["name"], *point))
        self.max_words = max(len(key.split()) for key in self.aliases)
        self.fuzzy: dict[str, list[str]] = {}
        for key, aliases in self.aliases.items():
            if len(key) >= _FUZZY_FROM_IN_ANSWER and not any(a.guarded for a in aliases):
                for shape in {_shape(key), _shape(key[:-1])}:  # a dropped last letter too
                    self.fuzzy.setdefault(shape, []).append(key)

    def _add(self, entry: dict, place: Place, name: str) -> None:
        """Guarded and local spellings first, so they override the plain name;
        within one region the first spelling wins (a capital named like its
        region, "arequipa", stays the region)."""
        spellings = (
            [(s, True, False) for s in entry.get("guarded", ())]
            + [(s, False, True) for s in entry.get("local", ())]
            + [(s, False, False) for s in [*entry.get("aka", ()), name]]
        )
        for spelling, guarded, local in spellings:
            key = normalise(str(spelling))
            known = self.aliases.setdefault(key, [])
            if all(a.place.region != place.region for a in known):
                known.append(_Alias(place, guarded, local))


# First letters people swap in Quechua and Spanish names ("guancayo", "kusco", "bentanilla").
_SAME_SOUND = str.maketrans("gwjkqzv", "hhhccsb")


def _shape(phrase: str) -> str:
    """Fuzzy matching only compares names of the same shape: first letter of
    each word (up to sound) and last letter. People misspell the middle of a
    name; most ordinary words near a name differ at an end."""
    return "".join(word[0] for word in phrase.split()).translate(_SAME_SOUND) + phrase[-1]


@lru_cache(maxsize=1)
def _index() -> _Index:
    with LEXICON.open(encoding="utf-8") as handle:
        return _Index(yaml.safe_load(handle))


@lru_cache(maxsize=4096)
def _fuzzy(phrase: str, permissive: bool) -> tuple[_Alias, ...]:
    """Aliases of the closest known name of the same shape, within one typo
    when its longest word has up to 8 letters, two from 9 (the longest word,
    so "la puerta" is not "la perla"). Names that are also ordinary phrases
    (guarded) never match fuzzily."""
    index = _index()
    longest = max(len(word) for word in phrase.split())
    if (
        longest < (_FUZZY_FROM_IN_ANSWER if permissive else _FUZZY_FROM_IN_TEXT)
        or phrase in index.not_places
    ):
        return ()
    hit = process.extractOne(
        phrase,
        index.fuzzy.get(_shape(phrase), ()),
        scorer=Levenshtein.distance,
        score_cutoff=1 if longest <= 8 else 2,
    )
    return tuple(index.aliases[hit[0]]) if hit else ()


def _scan(words: list[str], permissive: bool) -> list[_Match]:
    """Every place mention: longest first (a misspelt "san juan de lurigancio"
    over an exact "san juan"), exact before fuzzy, never overlapping."""
    index = _index()
    taken = [False] * len(words)
    found = []
    for size in range(min(index.max_words, len(words)), 0, -1):
        for exact in (True, False):
            for start in range(len(words) - size + 1):
                end = start + size
                if any(taken[start:end]):
                    continue
                phrase = " ".join(words[start:end])
                known = index.aliases.get(phrase)
                if exact and known:
                    aliases = known
                    if not _in_context(words, start, end, permissive):
                        # Out of context an ordinary phrase is a place only where its
                        # region is named too: "en trujillo, la esperanza".
                        aliases = [replace(a, local=True) if a.guarded else a for a in known]
                elif not exact and not known:
                    aliases = _fuzzy(phrase, permissive)
                else:
                    continue
                if aliases and not any(w in index.foreign for w in words[end : end + 2]):
                    taken[start:end] = [True] * size
                    found.append(_Match(start, tuple(aliases), exact))
    return found


def _in_context(words: list[str], start: int, end: int, permissive: bool) -> bool:
    """A guarded name needs "en", "por", "distrito"... right before it, or to
    open an answer to "where are you?"."""
    before_ok = words[start - 1] in _index().context if start else permissive
    return before_ok and (end == len(words) or words[end] not in _NOT_BEFORE_GUARDED)


def _best(matches: list[_Match]) -> Place | None:
    """The mention that agrees with another one ("arequipa, por el cercado"),
    then the most specific, then exact over fuzzy. Among places that agree the
    last named is the finer one ("huancayo, en el tambo"); otherwise the first
    named is what the message is about."""
    named = [{a.place.region for a in m.aliases if not a.local} for m in matches]
    best, best_rank = None, None
    for k, match in enumerate(matches):
        others = set().union(*(regions for j, regions in enumerate(named) if j != k))
        alias = next((a for a in match.aliases if a.place.region in others), None) or next(
            (a for a in match.aliases if not a.local), None
        )
        if alias is None:
            continue
        agrees = alias.place.region in others
        rank = (
            agrees,
            alias.place.city is not None,
            match.exact,
            match.start if agrees else -match.start,
        )
        if best_rank is None or rank > best_rank:
            best, best_rank = alias.place, rank
    return best


def find_in_text(text: str) -> Place | None:
    """The place a whole message mentions ("busco albergue en tacna"), or None.

    Conservative: ordinary words must never become places."""
    return _best(_scan(normalise(text).split(), permissive=False))


def resolve(text: str) -> Place | None:
    """The place in an answer to "where are you?" ("trujilo", "en sjl").

    Like find_in_text; then, if nothing was found in a short answer, a guarded
    name may open it ("ventanilla") and fuzzy matching starts at 6 letters."""
    words = normalise(text).split()
    found = _best(_scan(words, permissive=False))
    if found is None and len(words) <= _SHORT_ANSWER:
        found = _best(_scan(words, permissive=True))
    return found


def nearest(lat: float, lon: float) -> Place | None:
    """The known place closest to a shared location pin, or None outside Peru."""
    if not (-18.5 <= lat <= 0.1 and -81.5 <= lon <= -68.5):
        return None
    scale = math.cos(math.radians(lat))
    return min(
        _index().located,
        key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * scale) ** 2,
        default=None,
    )


def regions() -> list[str]:
    """The 25 official region names, in the contract's order."""
    return list(_index().regions)


def is_region(name: str) -> bool:
    """True for an official region name, whatever its case and accents."""
    return normalise(name or "") in _index().official


def neighbours(region: str) -> list[str]:
    """Official names of the regions bordering `region` (any case or accents),
    nearest first; empty for an unknown name."""
    return list(_index().neighbours.get(normalise(region or ""), ()))
