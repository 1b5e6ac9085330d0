"""The markup of one facet value, built in Python: a page lists a few hundred of them, and an
{% include %} per value cost more than everything else in the filters pane."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def facet_option(option, name: str) -> str:
    """A checkbox for one value of facet `name`; format_html escapes every value."""
    empty = " is-empty" if not option.count and not option.selected else ""
    checked = " checked" if option.selected else ""
    return format_html(
        '<li><label class="facet-option{}" for="{}"><input type="checkbox" class="facet-control"'
        ' id="{}" name="{}" value="{}"{}><span>{}</span><span class="count">{}</span></label></li>',
        empty, option.dom_id, option.dom_id, name, option.value, checked, option.label,
        option.count,
    )
