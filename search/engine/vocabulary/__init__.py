"""What words mean in these letters: drug names and classes, lay and anatomical terms.

Engine-neutral data and look-ups (no Django, no search library): the Whoosh backend uses them
to index each item's drug concepts and to widen a query, and another engine can be given the
same tables (synonym files) without a second copy.

- Drugs: `drug_concepts(words)` finds the drugs an item's request names, brand or generic, and
  returns their generic names and class keys ("norco" -> hydrocodone, acetaminophen, opioid).
  A query's drug words go through the same function, so "hydrocodone" finds "Norco" and
  "opioid" finds every opioid, without listing brand names in the query.
- Lay terms: `LAY_TERMS` maps what attorneys type ("neck", "cold therapy", "chiro") to the
  words letters use ("cervical", "cryotherapy", "chiropractic").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from search.engine.vocabulary.drug_table import DRUG_CLASSES
from search.engine.vocabulary.terms import LAY_TERMS

__all__ = [
    "CLASS_LABELS",
    "DRUG_CLASSES",
    "LAY_TERMS",
    "drug_concepts",
    "drug_names",
    "class_words",
    "words_of",
]

DRUGS_FILE = Path(__file__).with_name("drugs.json")
CLASS_LABELS = {key: label for key, (label, _, _) in DRUG_CLASSES.items()}
MAX_NAME_WORDS = 4
_WORD = re.compile(r"[a-z0-9#]+(?:-[a-z0-9]+)*")


def words_of(text: str) -> list[str]:
    """Lower-case words as the vocabulary spells its names ("Anti-inflammatory" stays one word,
    "#3" keeps its sign so "tylenol #3" is found)."""
    return _WORD.findall(text.lower())


@cache
def drug_names() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Drug name (as words) -> the generics it contains, from drugs.json."""
    data = json.loads(DRUGS_FILE.read_text(encoding="utf-8"))
    return {tuple(words_of(name)): tuple(generics) for name, generics in data["names"].items()}


@cache
def class_words() -> dict[tuple[str, ...], str]:
    """A word or phrase users type for a drug class (as words) -> the class key."""
    table: dict[tuple[str, ...], str] = {}
    for key, (_label, words, _members) in DRUG_CLASSES.items():
        for word in words:
            table.setdefault(tuple(words_of(word)), key)
    return table


@cache
def _classes_of_member() -> dict[str, tuple[str, ...]]:
    """A generic or product name -> the classes that list it."""
    table: dict[str, list[str]] = {}
    for key, (_label, _words, members) in DRUG_CLASSES.items():
        for member in members:
            table.setdefault(member, []).append(key)
    return {member: tuple(keys) for member, keys in table.items()}


Match = tuple[int, int, tuple[str, ...], tuple[str, ...], str | None]


def _matches(words: Sequence[str]) -> Iterable[Match]:
    """(start, end, name, generics, class key) for the longest name at each position."""
    names, classes = drug_names(), class_words()
    position = 0
    while position < len(words):
        for length in range(min(MAX_NAME_WORDS, len(words) - position), 0, -1):
            phrase = tuple(words[position : position + length])
            generics = names.get(phrase)
            class_key = classes.get(phrase)
            if generics or class_key:
                yield position, position + length, phrase, generics or (), class_key
                position += length
                break
        else:
            position += 1


def drug_concepts(words: Sequence[str], *, with_classes: bool = True) -> set[str]:
    """The generic names and class keys of the drugs named in `words` (see `words_of`)."""
    concepts: set[str] = set()
    classes_of = _classes_of_member()
    for _start, _end, name, generics, class_key in _matches(list(words)):
        concepts.update(generics)
        if class_key:
            concepts.add(class_key)
        if with_classes:
            # A compounding kit is in its class by name ("terocin" is a topical analgesic);
            # a single drug by its generic.
            for member in (" ".join(name), *generics):
                concepts.update(classes_of.get(member, ()))
    return concepts


def drug_spans(words: Sequence[str]) -> list[Match]:
    """Where drug names and class words stand in `words`: for query expansion and highlighting."""
    return list(_matches(list(words)))


def concept_token(concept: str) -> str:
    """The index term of a generic name or class key: "methyl_salicylate", "class:opioid"."""
    if concept in DRUG_CLASSES:
        return f"class:{concept}"
    return concept.replace(" ", "_")


def concept_tokens(text: str) -> list[str]:
    """The index terms of the drugs a request names (see drug_concepts)."""
    return sorted(concept_token(c) for c in drug_concepts(words_of(text)))


@cache
def _names_by_generic() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for name, generics in drug_names().items():
        for generic in generics:
            table.setdefault(generic, []).append(" ".join(name))
    return {generic: tuple(names) for generic, names in table.items()}


def names_of_generic(generic: str) -> tuple[str, ...]:
    """Every name of a generic (its brands, products and spellings): for highlighting."""
    return _names_by_generic().get(generic, ())


@cache
def _phrases() -> frozenset[tuple[str, ...]]:
    phrases = {name for name in drug_names() if len(name) > 1}
    phrases |= {words for words in class_words() if len(words) > 1}
    phrases |= {tuple(words_of(term)) for term in LAY_TERMS if " " in term}
    return frozenset(phrases)


def is_phrase(text: str) -> bool:
    """True for a phrase of several words that the vocabulary knows as one thing ("muscle
    relaxant", "low back", "methyl salicylate"), which a query keeps together."""
    return tuple(words_of(text)) in _phrases()


# "PT" is physical therapy in these letters, except in the coagulation panel ("PT/PTT",
# "PT/INR", "PT and PTT"): written out there, so neither a search for physical therapy nor the
# abbreviation table's "pt" ever reaches a lab test.
_PROTHROMBIN = re.compile(r"\bPT(?=\s*(?:/|,|and|&)\s*(?:PTT|INR|aPTT)\b)", re.IGNORECASE)


def disambiguate(text: str) -> str:
    """Text with ambiguous abbreviations written out where their context tells (see above)."""
    return _PROTHROMBIN.sub("prothrombin time", text)
