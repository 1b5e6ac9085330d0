"""The uncased BERT WordPiece tokenizer of all-MiniLM-L6-v2, in plain Python.

It reproduces the model's `tokenizer.json` (BertNormalizer with clean_text, Chinese characters
isolated, accents stripped, lowercased; BertPreTokenizer; WordPiece with "##" continuations and
100 characters at most per word; [CLS] ... [SEP]; truncation to the longest first) so that the
ids are those the model was trained on, without the `tokenizers` wheel and the hub client it
depends on. tests/engine/test_embedding.py pins ids of hostile text; docs/embedding.md says how it
was checked against the reference tokenizer.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_CHARS_PER_WORD = 100

# Rust's char::is_whitespace (the Unicode White_Space property), which the reference uses; it
# differs from str.isspace() on U+001C..U+001F (control characters there, removed).
_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Control, format, private use: removed. Unassigned code points (Cn) are kept as letters, as the
# reference keeps them.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs"})
_ASCII_PUNCT = frozenset(chr(c) for c in range(33, 127) if not chr(c).isalnum())
# Printable ASCII without punctuation: the fast path needs no per-character work beyond lower().
_ASCII_SPLIT = re.compile(r"[!-/:-@\[-`{-~]|[^ \t\n\r\x0b\x0c!-/:-@\[-`{-~]+")
_ASCII_SAFE = re.compile(r"[\t\n\r\x20-\x7e]*")


def _is_chinese(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B920 <= cp <= 0x2CEAF  # sic: the reference starts this block at 2B920
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _is_punct(ch: str) -> bool:
    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def basic_words(text: str) -> list[str]:
    """Normalise and pre-tokenise `text` as the reference does: words and punctuation marks."""
    if _ASCII_SAFE.fullmatch(text):
        return _ASCII_SPLIT.findall(text.lower())
    # Clean: drop NUL, U+FFFD and control or format characters but tab, newline and return
    # (so a vertical tab or U+0085 is dropped, not a space), whitespace becomes a space; isolate
    # Chinese characters.
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if ch in "\t\n\r":
            cleaned.append(" ")
        elif cp == 0xFFFD or unicodedata.category(ch) in _REMOVED_CATEGORIES:
            continue
        elif ch in _WHITESPACE:
            cleaned.append(" ")
        elif _is_chinese(cp):
            cleaned.append(f" {ch} ")
        else:
            cleaned.append(ch)
    # Strip accents (NFD, drop non-spacing marks), then lowercase character by character (the
    # reference lowercases each character alone: no final-sigma rule).
    decomposed = unicodedata.normalize("NFD", "".join(cleaned))
    normal = "".join(ch.lower() for ch in decomposed if unicodedata.category(ch) != "Mn")
    words: list[str] = []
    current: list[str] = []
    for ch in normal:
        if ch in _WHITESPACE:
            if current:
                words.append("".join(current))
                current = []
        elif _is_punct(ch):
            if current:
                words.append("".join(current))
                current = []
            words.append(ch)
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


class WordPiece:
    """Text to ids for the model: `encode(text, max_length)` gives [CLS] pieces [SEP]."""

    def __init__(self, vocab: dict[str, int]):
        self.vocab = vocab
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.unk_id = vocab["[UNK]"]
        self.pad_id = vocab["[PAD]"]
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_vocab_file(cls, path: Path) -> WordPiece:
        with open(path, encoding="utf-8") as handle:
            tokens = [line.rstrip("\n") for line in handle]
        return cls({token: index for index, token in enumerate(tokens)})

    def word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = self._split(word)
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def _split(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_CHARS_PER_WORD:
            return (self.unk_id,)
        vocab = self.vocab
        ids = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return (self.unk_id,)
            ids.append(found)
            start = end
        return tuple(ids)

    def encode(self, text: str, max_length: int = 128) -> list[int]:
        """The ids of `text`, [CLS] and [SEP] included, at most `max_length` of them."""
        budget = max_length - 2
        ids = [self.cls_id]
        for word in basic_words(text):
            pieces = self.word_ids(word)
            room = budget - (len(ids) - 1)
            if len(pieces) >= room:
                ids.extend(pieces[:room])
                break
            ids.extend(pieces)
        ids.append(self.sep_id)
        return ids
