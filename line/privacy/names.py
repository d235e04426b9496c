"""People's names: after a cue ("me llamo", "mi hija", "Sra."), as a signature,
from the lists of first names and surnames, and spaCy's PER entities.

Every candidate passes one context check: none of its words is an everyday
Spanish word (spaCy's stop words and its Spanish word index), a greeting, an
institution, a public figure or a place the gazetteer knows, and no institution
word stands right before it ("hospital Cayetano Heredia", "av. Javier Prado").

spaCy's NER runs only around capitalised words that nothing else explains:
lowercase WhatsApp text gives it nothing to work with, and its cost grows with
every character, so a typical message stays around a millisecond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional

from line.core.text import fold
from line.privacy.vocabulary import vocabulary
from line.understanding import places

Candidate = tuple[int, int, float]

MODEL = "es_core_news_sm"
# Only the NER pipe runs (it has its own tok2vec in this model); the lemmatizer
# is loaded for its Spanish word index, never run.
_NOT_NEEDED = ["tok2vec", "morphologizer", "parser", "attribute_ruler"]

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?¿¡\n;]")
_ABBREVIATED = frozenset(
    {
        "att",
        "atte",
        "sr",
        "sra",
        "srta",
        "dr",
        "dra",
        "lic",
        "ing",
        "prof",
        "hno",
        "hna",
        "don",
        "dona",
    }
)
_PARTICLES = frozenset({"de", "del", "la", "los", "las"})
_MAX_NAME_WORDS = 5
_FUZZY_FROM = 7  # letters: the gazetteer matches shorter words of a message only exactly
# Laughter and keyboard noise: never a name ("jaja", "jsjsjs", "xd").
_NOISE = re.compile(r"(?:[jh][aeiou]|[jh]s|xd)+[jh]?")

_shared = None


def share_model(nlp) -> None:
    """Use the es_core_news_sm that Rasa already loaded in this process (its NER
    pipe may be disabled there: it is called directly) instead of a second copy."""
    global _shared
    _shared = nlp
    spacy_model.cache_clear()
    _common_words.cache_clear()


@lru_cache(maxsize=1)
def spacy_model():
    if (
        _shared is not None
        and "ner" in _shared.component_names
        and "lemmatizer" in _shared.component_names
    ):
        return _shared
    import spacy  # imported at first use: the line loads no model it does not need

    return spacy.load(MODEL, exclude=_NOT_NEEDED)


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """spaCy's Spanish stop words and the nouns, adjectives and verbs of the
    model's lemmatizer index, folded."""
    tables = spacy_model().get_pipe("lemmatizer").lookups.get_table("lemma_index")
    words = set(_stop_words())
    for key in tables:
        words.update(fold(w) for w in tables[key] if w.isalpha())
    return frozenset(words)


# Verb and plural endings -> what the index holds (necesito -> necesitar, flores -> flor).
_ENDINGS = (
    ("ando", ("ar",)),
    ("iendo", ("er", "ir")),
    ("ado", ("ar",)),
    ("ada", ("ar",)),
    ("ido", ("er", "ir")),
    ("ida", ("er", "ir")),
    ("aron", ("ar",)),
    ("ieron", ("er", "ir")),
    ("amos", ("ar",)),
    ("emos", ("er",)),
    ("imos", ("ir",)),
    ("aba", ("ar",)),
    ("aban", ("ar",)),
    ("ia", ("er", "ir")),
    ("ian", ("er", "ir")),
    ("io", ("er", "ir")),
    ("aste", ("ar",)),
    ("iste", ("er", "ir")),
    ("an", ("ar",)),
    ("en", ("er", "ir")),
    ("as", ("ar",)),
    ("es", ("er", "ir")),
    ("o", ("ar", "er", "ir")),
    ("a", ("ar",)),
    ("e", ("ar", "er", "ir")),
    ("ar", ("ar",)),
    ("er", ("er",)),
    ("ir", ("ir",)),
)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.es.stop_words import STOP_WORDS

    return frozenset(fold(w) for w in STOP_WORDS)


@lru_cache(maxsize=1)
def _lowercase_name_after() -> frozenset[str]:
    """The last words of kin cues ("mi hija", "la sra", "mi chamo") and "soy": after
    them even a lowercase word that is no Spanish word is a name."""
    heads = {cue.split()[-1] for cue in vocabulary().kin_cues}
    return frozenset(heads - {"a", "con", "es", "el", "la", "habla"} | {"soy"})


@lru_cache(maxsize=8192)
def is_common(word: str) -> bool:
    """An everyday Spanish word (folded), inflected or not."""
    words = _common_words()
    if word in words:
        return True
    for ending, infinitives in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            if any(stem + inf in words for inf in infinitives):
                return True
    for cut in ("s", "es", "ito", "ita", "itos", "itas", "cito", "cita"):
        stem = word[: -len(cut)]
        if (
            word.endswith(cut)
            and len(stem) > 2
            and any(stem + end in words for end in ("", "o", "a", "e"))
        ):
            return True
    for cut in ("dor", "dora", "dores", "doras"):  # cuidadora -> cuidar
        if word.endswith(cut) and word[: -len(cut)] + "r" in words:
            return True
    return word[:-1] + "o" in words if word.endswith("a") else False


@lru_cache(maxsize=8192)
def is_place(word: str) -> bool:
    """A place of Peru or a city people come from. Only a word the gazetteer
    cannot have matched by a typo counts (shorter than its fuzzy matching, or the
    official name or one of its words): "Huaranga" is a surname, not Huamanga."""
    folded = fold(word)
    if folded in vocabulary().foreign_places:
        return True
    place = places.find_in_text("en " + folded)
    if place is None:
        return False
    official = f"{fold(place.region)} {fold(place.city or '')}"
    return len(folded) < _FUZZY_FROM or folded in official.split()


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str
    folded: str
    cap: bool  # written with a capital (meaningless in a message in capitals)
    broken: bool  # a sentence break or comma stands before it
    sentence_start: bool


_fold_word = lru_cache(maxsize=65536)(fold)


def _tokens(text: str) -> list[_Token]:
    letters = [c for c in text if c.isalpha()]
    words = [w for w in _WORD.findall(text) if len(w) > 2]
    # In capitals Or In Title Case, A Capital Says Nothing.
    shouting = (
        len(letters) > 8
        and sum(c.isupper() for c in letters) > 0.7 * len(letters)
        or len(words) >= 4
        and sum(w[0].isupper() for w in words) > 0.7 * len(words)
    )
    tokens, previous_end = [], 0
    for match in _WORD.finditer(text):
        word = match.group()
        gap = text[previous_end : match.start()]
        # "SIS", "DNI", "CPP": short capitals are acronyms, not names.
        cap = (
            not shouting
            and word[0].isupper()
            and not (word.isupper() and len(word) <= 4 and len(word) > 1)
        )
        tokens.append(
            _Token(
                match.start(),
                match.end(),
                word,
                _fold_word(word),
                cap,
                bool(_SENTENCE_BREAK.search(gap) or "," in gap or ":" in gap or "(" in gap),
                not tokens or bool(_SENTENCE_BREAK.search(gap)),
            )
        )
        previous_end = match.end()
    return tokens


def _lexicon(word: str) -> Optional[str]:
    """'strong' for a first name or surname that is no everyday word, 'weak' for
    one that is ("rosa", "flores"), None otherwise."""
    vocab = vocabulary()
    if (word in vocab.first_names and word not in vocab.ambiguous_first_names) or (
        word in vocab.surnames and word not in vocab.ambiguous_surnames
    ):
        return "strong"
    if word in vocab.first_names or word in vocab.surnames:
        return "weak"
    return None


def _refused(word: str) -> bool:
    """Never part of a name: a greeting or filler, an institution, or an
    institution word that is no surname too ("hospital"; "Calle" is one)."""
    vocab = vocabulary()
    return (
        word in vocab.not_names
        or word in vocab.institutions
        or bool(_NOISE.fullmatch(word))
        or (word in vocab.institution_words and _lexicon(word) is None)
    )


def _name_like(token: _Token, lowercase_ok: bool) -> bool:
    """Could this word be part of a person's name? `lowercase_ok` after a strong
    cue: "me llamo yuleisy" has no capital and no list to go by."""
    word = token.folded
    if not word or _refused(word):
        return False
    grade = _lexicon(word)
    if grade == "strong":
        return True
    if grade == "weak":
        return token.cap or lowercase_ok
    if len(word) < 2 or is_common(word):
        return False
    return token.cap or (lowercase_ok and len(word) >= 3)


def _extend(tokens: list[_Token], first: int, lowercase_ok: bool) -> int:
    """The end (exclusive) of the name that starts at `first`: name-like words,
    with "de", "del", "de la" between them ("Rosa de la Cruz")."""
    end = first + 1
    while end < len(tokens) and end - first < _MAX_NAME_WORDS:
        token = tokens[end]
        if token.broken:
            break
        if token.folded in _PARTICLES:
            after = end + 1
            while after < len(tokens) and tokens[after].folded in _PARTICLES and after - end < 2:
                after += 1
            if (
                after < len(tokens)
                and not tokens[after].broken
                and (tokens[after].cap or lowercase_ok)
                and _name_like(tokens[after], lowercase_ok)
            ):
                end = after + 1
                continue
            break
        # Many surnames are words too ("Castellanos", "Caballero"): written with a
        # capital right after a name, they are part of it.
        surname = (
            token.cap
            and tokens[end - 1].cap
            and not _refused(token.folded)
            and len(token.folded) > 2
            and token.folded not in _stop_words()
        )
        if not (surname or _name_like(token, lowercase_ok and not tokens[end - 1].cap)):
            break
        end += 1
    return end


def _trim_places(tokens: list[_Token], first: int, end: int) -> int:
    """Drop trailing places: "Ana Rodríguez de Caracas" is Ana Rodríguez."""
    while end > first and (is_place(tokens[end - 1].text) or tokens[end - 1].folded in _PARTICLES):
        end -= 1
    return end


class _Phrases:
    """Multi-word phrases (cues, institutions, public figures) found over folded tokens."""

    def __init__(self, phrases) -> None:
        self.phrases = frozenset(phrases)
        self.longest = max((len(p.split()) for p in self.phrases), default=1)
        self.last_words = frozenset(p.split()[-1] for p in self.phrases)
        self.first_words = frozenset(p.split()[0] for p in self.phrases)

    def ending_at(self, words: list[str], end: int, gap_ok) -> Optional[int]:
        """Start index of the longest phrase ending right before `end`, or None."""
        if not end or words[end - 1] not in self.last_words:
            return None
        for size in range(min(self.longest, end), 0, -1):
            if gap_ok(end - size, end) and " ".join(words[end - size : end]) in self.phrases:
                return end - size
        return None

    def starting_at(self, words: list[str], start: int) -> int:
        if words[start] not in self.first_words:
            return start
        for size in range(min(self.longest, len(words) - start), 0, -1):
            if " ".join(words[start : start + size]) in self.phrases:
                return start + size
        return start


@lru_cache(maxsize=1)
def _phrases() -> dict[str, _Phrases]:
    vocab = vocabulary()
    return {
        "strong": _Phrases(vocab.strong_cues),
        "kin": _Phrases(vocab.kin_cues),
        "loose": _Phrases(vocab.loose_cues),
        "closing": _Phrases(vocab.closing_cues),
        "institutions": _Phrases(vocab.institutions),
        "public": _Phrases(vocab.public_names),
    }


def _marked(words: list[str], phrases: _Phrases) -> list[bool]:
    """Which words belong to one of the phrases."""
    marks = [False] * len(words)
    k = 0
    while k < len(words):
        end = phrases.starting_at(words, k)
        marks[k:end] = [True] * (end - k)
        k = max(end, k + 1)
    return marks


class NameRecognizer:
    """NOMBRE: the cue, signature, list and spaCy recognizers share one tokenisation."""

    name = "names"
    kind = "NOMBRE"

    def find(self, text: str) -> Iterator[Candidate]:
        tokens = _tokens(text)
        if not tokens:
            return
        words = [t.folded for t in tokens]
        phrases = _phrases()
        institution = _marked(words, phrases["institutions"])
        # A public figure's name is no one's own, except after "me llamo" or
        # "mi hijo": "me llamo Jesús".
        blocked = [
            a or b for a, b in zip(institution, _marked(words, phrases["public"]), strict=False)
        ]
        found: list[Candidate] = []

        def add(first: int, end: int, score: float, grade: str) -> None:
            end = _trim_places(tokens, first, end)
            refused = institution if grade in ("strong", "kin") else blocked
            if end > first and not any(refused[first:end]):
                found.append((tokens[first].start, tokens[end - 1].end, score))

        def gap_ok(start: int, end: int) -> bool:
            # A cue is one run of words: no sentence break inside it.
            return not any(tokens[j].broken for j in range(start + 1, end))

        for i, token in enumerate(tokens):
            if i == 0:
                continue
            # A cue may be followed by ":" or "," ("Nombre: Ana", "Saludos, Ana"),
            # an abbreviation by its dot ("Sra. Carmen").
            separated = text[tokens[i - 1].end : token.start]
            cue_break = token.broken and not (
                tokens[i - 1].folded in _ABBREVIATED and "\n" not in separated
            )
            for grade, lowercase_ok, score in (
                ("strong", True, 0.9),
                ("kin", False, 0.85),
                ("loose", False, 0.7),
            ):
                start = phrases[grade].ending_at(words, i, gap_ok)
                if start is None:
                    continue
                if cue_break and not re.fullmatch(r"\s*[:,\-]?\s*", separated):
                    continue
                if _name_like(token, lowercase_ok) and (
                    grade != "loose" or self._looks_like_name(token)
                ):
                    add(i, _extend(tokens, i, lowercase_ok), score, grade)
                    break
                if grade != "strong" and self._lowercase_name(tokens, i, start, words):
                    add(i, _extend(tokens, i, True), 0.7, grade)
                    break
        found.extend(self._signature(tokens, text, blocked))
        found.extend(self._from_lists(tokens, blocked))
        found.extend(self._from_ner(text, tokens, blocked))
        yield from found

    @staticmethod
    def _lowercase_name(tokens: list[_Token], i: int, cue_start: int, words: list[str]) -> bool:
        """ "mi hija yeimy tiene fiebre", "hola soy yeimy": after a kin word or "soy",
        a lowercase word of 4+ letters that is no Spanish word is a name."""
        token = tokens[i]
        if token.cap or len(token.folded) < 4 or _refused(token.folded) or is_common(token.folded):
            return False
        return cue_start < i and words[i - 1] in _lowercase_name_after()

    @staticmethod
    def _looks_like_name(token: _Token) -> bool:
        """After a greeting or "soy": a capitalised word, or a first name of the list."""
        return (
            token.cap
            or _lexicon(token.folded) == "strong"
            and token.folded in vocabulary().first_names
        )

    def _signature(
        self, tokens: list[_Token], text: str, blocked: list[bool]
    ) -> Iterator[Candidate]:
        """A name that ends the message (or its last line) after a closing word,
        or alone on the last line."""
        words = [t.folded for t in tokens]
        closing = _phrases()["closing"]
        last = len(tokens)
        # Start of the trailing run of name-like words.
        first = last
        while (
            first > 0
            and last - first < 4
            and _name_like(tokens[first - 1], False)
            and not blocked[first - 1]
        ):
            first -= 1
        tail = text[tokens[-1].end :]
        if first == last or re.search(r"\w", tail):
            return
        while first < last:
            # Alone on its line, or a whole last sentence with a known name in it.
            known = any(_lexicon(t.folded) for t in tokens[first:last])
            alone = (
                first == 0
                or "\n" in text[tokens[first - 1].end : tokens[first].start]
                or tokens[first].sentence_start
                and known
            ) and not self._after_institution(tokens, first)
            after_closing = (
                first > 0 and closing.ending_at(words, first, lambda s, e: True) is not None
            )
            if after_closing or (alone and any(t.cap for t in tokens[first:last])):
                end = _trim_places(tokens, first, last)
                if end > first and any(_lexicon(t.folded) or t.cap for t in tokens[first:end]):
                    yield tokens[first].start, tokens[end - 1].end, 0.85 if after_closing else 0.7
                return
            first += 1

    def _from_lists(self, tokens: list[_Token], blocked: list[bool]) -> Iterator[Candidate]:
        """A first name of the list followed by a surname ("maria quispe"), or a
        capitalised first name where no institution word stands before it."""
        vocab = vocabulary()
        i = 0
        while i < len(tokens):
            token = tokens[i]
            word = token.folded
            grade = _lexicon(word)
            if (
                word in vocab.first_names
                and (grade == "strong" or token.cap)
                and not blocked[i]
                and not self._after_institution(tokens, i)
            ):
                end = _trim_places(tokens, i, _extend(tokens, i, False))
                rest = tokens[i + 1 : end]
                if rest and any(_lexicon(t.folded) or t.cap for t in rest):
                    yield from self._checked(tokens, i, end, 0.75)
                    i = end
                    continue
                if token.cap and grade == "strong":
                    yield from self._checked(tokens, i, i + 1, 0.6)
            i += 1

    @staticmethod
    def _checked(tokens: list[_Token], first: int, end: int, score: float) -> Iterator[Candidate]:
        end = _trim_places(tokens, first, end)
        if end > first:
            yield tokens[first].start, tokens[end - 1].end, score

    @staticmethod
    def _after_institution(tokens: list[_Token], i: int) -> bool:
        """ "hospital Cayetano Heredia", "colegio San José", "av. de la Marina"."""
        vocab = vocabulary()
        j = i - 1
        while j >= 0 and i - j <= 3 and tokens[j].folded in _PARTICLES:
            j -= 1
        return j >= 0 and i - j <= 3 and tokens[j].folded in vocab.institution_words

    @staticmethod
    def _unexplained(tokens: list[_Token]) -> list[_Token]:
        """Capitalised words that are no everyday word, greeting or known name:
        only there can spaCy add anything."""
        return [
            t
            for t in tokens
            if t.cap
            and not _refused(t.folded)
            and _lexicon(t.folded) is None
            and not is_common(t.folded)
        ]

    def _from_ner(
        self, text: str, tokens: list[_Token], blocked: list[bool]
    ) -> Iterator[Candidate]:
        """spaCy's PER entities, looked for only around unexplained capitalised
        words (NER costs time by the character), then checked like any name."""
        nlp = spacy_model()
        ner = nlp.get_pipe("ner")
        for start, end in _windows(text, self._unexplained(tokens)):
            doc = ner(nlp.make_doc(text[start:end]))
            for ent in doc.ents:
                if ent.label_ == "PER":
                    yield from self._checked_entity(
                        tokens, blocked, start + ent.start_char, start + ent.end_char
                    )

    def _checked_entity(
        self, tokens: list[_Token], blocked: list[bool], ent_start: int, ent_end: int
    ) -> Iterator[Candidate]:
        """An entity without its leading and trailing words that cannot be a name;
        a single unknown word at a sentence's start is too weak alone."""
        inside = [k for k, t in enumerate(tokens) if t.start >= ent_start and t.end <= ent_end]
        if not inside:
            return
        first, end = inside[0], inside[-1] + 1
        while first < end and not (_name_like(tokens[first], False) and tokens[first].cap):
            first += 1
        while end > first and not _name_like(tokens[end - 1], False):
            end -= 1
        if first == end or any(blocked[first:end]) or self._after_institution(tokens, first):
            return
        if any(t.broken for t in tokens[first + 1 : end]):
            return
        if not all(_name_like(t, False) or t.folded in _PARTICLES for t in tokens[first:end]):
            return
        known = any(_lexicon(t.folded) for t in tokens[first:end])
        if end - first >= 2:
            score = 0.8 if known else 0.7
        else:
            score = 0.7 if known else (0.45 if tokens[first].sentence_start else 0.55)
        yield from self._checked(tokens, first, end, score)


_NER_CONTEXT = 60  # characters each side of a word spaCy is asked about


def _windows(text: str, words: list[_Token]) -> list[tuple[int, int]]:
    """Stretches of text around the given words, cut at spaces, merged when they touch."""
    windows: list[tuple[int, int]] = []
    for word in words:
        start = text.rfind(" ", 0, max(0, word.start - _NER_CONTEXT)) + 1
        end = text.find(" ", min(len(text), word.end + _NER_CONTEXT))
        end = len(text) if end < 0 else end
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows
