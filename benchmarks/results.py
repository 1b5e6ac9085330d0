"""What every engine answers for one query, so answers can be compared across engines."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EngineAnswer:
    total: int
    hit_ids: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> count
    timed_out: bool = False  # the engine stopped early (ours has a time limit); counts partial
