"""Letters as plain JSON-ready dicts: the shape `export --jsonl` writes and the API returns."""

from __future__ import annotations

from datetime import date

from search.letters import domain
from search.letters.reasons import reason_label
from search.models import Citation, Determination, Letter


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def letter_queryset():
    return Letter.objects.prefetch_related("determinations__citations")


def letter_as_json(letter: Letter) -> dict:
    determinations = sorted(letter.determinations.all(), key=lambda d: d.ordinal)
    return {
        "id": letter.public_id,
        "case_number": letter.case_number,
        "synthetic": letter.synthetic,
        "layout": letter.layout,
        "decision_date": iso(letter.decision_date),
        "date_of_injury": iso(letter.date_of_injury),
        "date_assigned": iso(letter.date_assigned),
        "ur_denial_date": iso(letter.ur_denial_date),
        "application_received": iso(letter.application_received),
        "priority": letter.priority or None,
        "case_outcome": domain.case_outcome(d.outcome for d in determinations),
        "specialties": list(letter.specialties),
        "licensure": list(letter.licensure),
        "reviewer": letter.reviewer_raw,
        "patient": {"age": letter.patient_age, "sex": letter.patient_sex or None},
        "summary": letter.summary,
        "truncated": letter.truncated,
        "warnings": list(letter.warnings),
        "determinations": [determination_as_json(d) for d in determinations],
    }


def determination_as_json(determination: Determination) -> dict:
    citations = sorted(determination.citations.all(), key=lambda c: (c.party, c.position))
    return {
        "ordinal": determination.ordinal,
        "heading": determination.heading,
        "request": determination.request,
        "original_request": determination.original_request or None,
        "authorized": determination.authorized or None,
        "outcome": determination.outcome,
        "treatment_category": determination.treatment_category,
        "treatment_subcategory": determination.treatment_subcategory or None,
        "claims_administrator_guideline": _guideline_json(
            determination.claims_administrator_guideline,
            determination.claims_administrator_flags,
            [c for c in citations if c.party == Citation.CLAIMS_ADMINISTRATOR],
        ),
        "imr_guideline": _guideline_json(
            determination.imr_guideline,
            determination.imr_flags,
            [c for c in citations if c.party == Citation.IMR],
        ),
        "rationale": determination.rationale,
        "reasons": [
            {**r, "label": reason_label(r["reason"])} for r in determination.reasons or []
        ],
        "request_size": dict(determination.request_size or {}),
    }


def _guideline_json(raw: str, flags: list, citations: list[Citation]) -> dict:
    return {
        "raw": raw,
        "flags": list(flags),
        "citations": [
            {
                "source": c.source,
                "guideline": c.guideline or None,
                "label": c.label,
                "sections": list(c.sections),
                "pages": list(c.pages),
                "edition": c.edition or None,
                "flags": list(c.flags),
                "raw": c.raw,
            }
            for c in citations
        ],
    }

