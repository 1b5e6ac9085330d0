"""Normalise reviewer specialties into the state's specialty vocabulary."""

from __future__ import annotations

import re

SPECIALTIES: list[str] = []


def split_specialties(text: str) -> list[str]:
    return [part.strip() for part in re.split(r",|;", text or "") if part.strip()]


def normalise_specialties(raw: list[str]) -> list[str]:
    seen: list[str] = []
    for value in raw:
        value = " ".join(value.split())
        if value and value not in seen:
            seen.append(value)
    return seen
