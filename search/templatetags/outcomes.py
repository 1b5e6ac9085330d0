"""The outcome badge: an item's outcome (upheld, overturned) or a letter's case outcome (Upheld,
Partial Overturn, Overturned), in the words of search.letters.domain."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from search.highlighting import mark_evidence
from search.letters import domain

register = template.Library()

# The badge's colour (its CSS class) for each outcome, item or case; the text is the label.
_BADGE_KINDS = {
    domain.UPHELD: "upheld",
    domain.OVERTURNED: "overturned",
    domain.CASE_UPHELD: "upheld",
    domain.CASE_PARTIAL: "partial",
    domain.CASE_OVERTURNED: "overturned",
}


@register.simple_tag
def outcome_badge(outcome: str) -> str:
    """<span class="badge badge-overturned">Overturned</span>, or nothing for no outcome."""
    kind = _BADGE_KINDS.get(outcome)
    if kind is None:
        return ""
    label = domain.outcome_label(outcome)
    return format_html('<span class="badge badge-{}">{}</span>', kind, label)


@register.filter
def evidence(sentence: str) -> str:
    """A reason's evidence sentence, marked: escaped, then cleaned by bleach (highlighting)."""
    return mark_safe(mark_evidence(sentence))  # noqa: S308 - escaped and bleach-cleaned
