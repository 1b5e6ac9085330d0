"""Classify a disputed request into the state's treatment category vocabulary."""

from __future__ import annotations

CATEGORIES: list[tuple[str, list[str]]] = []


def classify_request(request: str) -> tuple[str, str]:
    return ("Other", "")
