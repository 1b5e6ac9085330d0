"""A pasted request or denial -> the words that say what treatment it is about.

Requests for authorization and utilization review denials wrap the treatment in quantities
("#90", "10/325 mg", "2x/week x 6 weeks"), dosing ("one tablet by mouth every 6 hours as
needed") and review boilerplate ("medically necessary per MTUS guidelines", "non-certified").
Those words are in most letters, so a similarity search over the whole text ranks precedents by
the boilerplate they share; the precedent finder and a long text in the search box search
`treatment_text(text)` instead. Engine-neutral: plain text in, plain text out.
"""

from __future__ import annotations

import re

# A text this long (in words) with a sentence in it, and no query operators, is pasted, not
# typed: the search box ranks it as the precedent finder does.
PASTED_MIN_WORDS = 16

_QUANTITY = re.compile(
    r"""
    \#\s*\d+                                    # #90
  | \b\d+(?:\.\d+)?\s*/\s*\d+(?:\.\d+)?\s*(?:mg|mcg|g|ml)?\b   # 10/325 mg, 5/325
  | \b\d+(?:\.\d+)?\s*(?:mg|mcg|gm?|ml|cc|%|units?|iu)\b        # 7.5 mg, 0.05%
  | \b\d+\s*(?:x|times)\s*(?:/|a|per)?\s*(?:week|wk|day|month|mo)s?\b   # 2x/week
  | \bx\s*\d+\s*(?:weeks?|wks?|days?|months?|sessions?|visits?)?\b      # x 6 weeks
  | \b(?:q|every)\s*\d+\s*-?\s*\d*\s*(?:h|hrs?|hours?)\b                # every 6 hours
  | \b\d+(?:\.\d+)?\b                            # any other number
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Words of the request and review forms, dosing and reporting, not of any treatment.
BOILERPLATE = frozenset(
    """
    request requests requested requesting rfa authorization authorize authorized
    ur utilization review reviewer determination determined non-certified noncertified
    certified certify certification modified modify denied deny denies denial non-certify
    medically medical necessity necessary guideline guidelines mtus odg acoem ca per
    patient patients claimant injured worker employee applicant he she his her him they
    report reports reported reporting rated rating states stated notes noted documented
    documentation document evidence records record clinical provider physician doctor dr
    plan prescribed prescription prescribe take takes taking tablet tablets tab tabs
    capsule capsules cap caps mouth po prn needed daily twice once nightly bedtime hs bid tid
    qid qhs qd sig refill refills dispense quantity qty supply month months week weeks day
    days hour hours session sessions visit visits times time pain painful
    recommended recommend recommends recommendation support supports supported supporting
    continue continues continued continuing ongoing current currently last since prior
    previous previously date dated submitted submit please thank therefore however also
    would could should may might must will shall not no yes with without the a an and or of
    to in on at for from by as is are was were be been being this that these those it its
    has have had which who whom whose than then there here into over under about after
    before during per while within between further other such same each any all some
    mg mcg ml cc one two three four five six seven eight nine ten eleven twelve
    """.split()
)

_WORD = re.compile(r"[A-Za-z][A-Za-z\-']*")


def looks_pasted(text: str) -> bool:
    """True for a pasted paragraph: many words, a sentence's punctuation, no query syntax."""
    words = text.split()
    if len(words) < PASTED_MIN_WORDS:
        return False
    if re.search(r'"|\b(?:OR|NOT|AND)\b|\w:\w|\(.*\)\s*(?:OR|AND)', text):
        return False
    return bool(re.search(r"[.;:,]\s", text))


def treatment_text(text: str) -> str:
    """The text without quantities, strengths, frequencies and review boilerplate."""
    without_numbers = _QUANTITY.sub(" ", text)
    words = [w for w in _WORD.findall(without_numbers) if w.lower().strip("'-") not in BOILERPLATE]
    return " ".join(words)


# "RFA:", "Utilization review:", "Request for authorization -" before the treatment.
_LEADING_LABEL = re.compile(r"^\s*(?:[A-Za-z][A-Za-z ]{0,40}?)\s*[:\-–]\s+(?=\S)")
_SENTENCE_END = re.compile(r"(?<!\d)[.;](?:\s|$)|\n")


def headline(text: str) -> str:
    """The treatment a pasted request or denial is about: its first sentence, without a leading
    form label, as treatment words ("RFA: MRI lumbar spine without contrast. Low back ..." ->
    "MRI lumbar spine contrast")."""
    body = _LEADING_LABEL.sub("", text.strip(), count=1)
    first = _SENTENCE_END.split(body, maxsplit=1)[0]
    return treatment_text(first)
