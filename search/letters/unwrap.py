"""Join a letter's hard-wrapped lines back into paragraphs.

Paragraphs are unwrapped and runs of spaces collapsed, so the double space a redacted name
leaves behind becomes a single space.
"""

from __future__ import annotations

import re

BLANK_LINE = re.compile(r"\n[ \t]*\n")
_CLOSING_MARKS = "\"'”’)]"
_SHORT_LINE_RATIO = 0.6


def unwrap(text: str) -> str:
    """Join hard-wrapped lines into paragraphs, paragraphs separated by one blank line.

    A paragraph ends at a blank line, or at a line that ends a sentence while being clearly
    shorter than the block's full lines. A line ending in a hyphen or slash right after a
    letter or digit ("non-", "10/14/") is joined without a space.
    """
    paragraphs: list[str] = []
    for block in BLANK_LINE.split(text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        short = _SHORT_LINE_RATIO * max(len(line) for line in lines) if len(lines) >= 3 else 0
        current: list[str] = []
        for line in lines:
            if current and _joins_without_space(current[-1]):
                current[-1] += line
            else:
                current.append(line)
            if len(line) < short and ends_sentence(line):
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSING_MARKS)[-1:] in (".", "!", "?")


def _joins_without_space(line: str) -> bool:
    return len(line) >= 2 and line[-1] in "-/" and line[-2].isalnum()
