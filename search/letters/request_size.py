"""How much was asked for: sessions, quantity, frequency, duration and strength, from the
request text of an item (pure Python, no Django).

    "Physical therapy 2 times a week for 6 weeks"  -> sessions 12, frequency 2/week, 6 weeks
    "Norco 10/325mg #120"                          -> strength 10/325 mg, quantity 120
    "Acupuncture therapy sessions lumbar spine #6" -> sessions 6 (a therapy's "#" counts visits)
    "PT 2x4"                                       -> 2/week for 4 weeks, sessions 8

Rules, not a model: requests are short and written in a handful of forms. The session count
buckets (1-6, 7-12, 13-24, 25 or more) are a facet for therapies.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from search.letters.timeliness import bucket_of

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "eighteen": 18,
    "twenty": 20, "twenty-four": 24, "once": 1, "twice": 2,
}
_NUM = r"(\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_RANGE = _NUM + r"(?:\s*(?:-|to)\s*" + _NUM + r")?"

# Therapies counted in visits: for these a bare "#6" is a number of sessions.
_THERAPY = re.compile(
    r"\b(?:therapy|therapies|physiotherapy|PT|OT|acupuncture|chiropractic|chiro|manipulation|"
    r"sessions?|visits?|treatments|massage|psychotherapy|CBT|counsel\w*|biofeedback|"
    r"rehabilitation|work hardening|functional restoration|stimulation|ultrasound|"
    r"modalit\w*)\b", re.I)
# "1 knee scooter", "One (1) x-ray", "Two refills ...": a count before what is asked for.
_LEADING_COUNT = re.compile(
    r"^" + _NUM + r"\s+(?:\(\d+\)\s*)?(?!times\b|x(?![\w-])|refills?\b)[a-z]", re.I)
# A count of visits "per week" is a frequency, not the number asked for.
_NOT_A_RATE = r"(?!\s*(?:a|per|each|/)\s*(?:week|wk|month|day)\b)"
_SESSIONS = [
    re.compile(r"\b(?:sessions?|visits?)\s*(?:qty|quantity)\s*:?\s*(\d+)()", re.I),
    re.compile(_RANGE + r"\s*(?:\(\d+\)\s*)?(?:[\w/-]+\s+){0,3}?(?:sessions?|visits?|treatments)\b"
               + _NOT_A_RATE, re.I),
    re.compile(r"\b(?:sessions?|visits?),?\s*(?:x\s*)?(\d+)\b()", re.I),
    re.compile(r"\bvisits\s*\((\d+)\)()", re.I),
]
_HASH = re.compile(r"#\s*(\d+)")
_QUANTITY_WORD = re.compile(r"\b(?:qty|quantity)\s*:?\s*(\d+)", re.I)
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?(?:\s*[/-]\s*\d+(?:\.\d+)?)*)\s*(mg|mcg|%)(?![a-z])", re.I)
_PER_WEEK = re.compile(
    _RANGE + r"\s*(?:x|times?|visits)?\s*(?:a|per|/|each)\s*(?:week|wk)\b", re.I)
# "weekly", "monthly": once a week or a month.
_EVERY = re.compile(r"\b(week|month)ly\b", re.I)
# A form's unit tag: "(IN MONTHS) QUANTITY: 6" asks for six months.
_QUANTITY_OF_TIME = re.compile(r"\(in (day|week|month)s\)\s*(?:qty|quantity)\s*:?\s*(\d+)", re.I)
_PER_DAY = re.compile(r"\b(?:" + _NUM + r"\s*(?:x|times|tablets?)?\s*(?:a|per)\s*day|"
                      r"(once|twice) daily|(daily))\b", re.I)
# "2x4", "2 times 8", "two times four visits": so many a week for so many weeks.
_TIMES = re.compile(r"\b" + _NUM + r"\s*(?:x|times)\s*" + _NUM + r"\b(?!\s*(?:a|per)\b)", re.I)
_DURATION = [
    re.compile(r"\bdays? supply\s*:?\s*(\d+)()()", re.I),  # before "#60 day supply"
    re.compile(r"\bfor\s+" + _RANGE + r"\s*(day|week|month)s?\b", re.I),
    re.compile(r"\b" + _RANGE + r"[\s-]*(day|week|month)s?\s*(?:rental|use|supply|trial)\b", re.I),
    re.compile(r"\b" + _RANGE + r"\s*(day|week|month)s?\b", re.I),
]

SIZE_FIELDS = ("sessions", "quantity", "frequency", "duration", "strength")
SIZE_LABELS = {"sessions": "Sessions", "quantity": "Quantity", "frequency": "Frequency",
               "duration": "Duration", "strength": "Strength"}
# (facet value, label, fewest sessions, most or None)
SESSION_BUCKETS: list[tuple[str, str, int, int | None]] = [
    ("1-6", "1–6 sessions", 1, 6),
    ("7-12", "7–12 sessions", 7, 12),
    ("13-24", "13–24 sessions", 13, 24),
    ("more", "25 or more sessions", 25, None),
]
SESSION_BUCKET_VALUES = tuple(value for value, _, _, _ in SESSION_BUCKETS)
SESSION_BUCKET_LABELS = {value: label for value, label, _, _ in SESSION_BUCKETS}


@dataclass(frozen=True)
class RequestSize:
    sessions: int | None = None  # visits or sessions asked for (the most a range allows)
    quantity: int | None = None  # units dispensed: "#120", "QTY: 30"
    frequency: str = ""  # "2/week", "1-2/week", "2/day", "1/month"
    duration: str = ""  # "6 weeks", "7-10 days", "2 months"
    strength: str = ""  # "10/325 mg", "5%" (the first one named)

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    @property
    def session_bucket(self) -> str:
        return session_bucket(self.sessions)

    def __bool__(self) -> bool:
        return bool(self.as_json())


def size_parts(size: dict) -> list[tuple[str, str]]:
    """(label, value) of each field a stored request size has, in SIZE_FIELDS order."""
    return [(SIZE_LABELS[name], str(size[name])) for name in SIZE_FIELDS
            if size.get(name) not in (None, "")]


def session_bucket(sessions: int | None) -> str:
    """The facet value for a number of sessions; "" when unknown."""
    return bucket_of(sessions, SESSION_BUCKETS)


def _number(word: str | None) -> int | None:
    if not word:
        return None
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word)


def _span(low: str | None, high: str | None) -> str:
    a, b = _number(low), _number(high)
    return f"{a}-{b}" if b is not None and b != a else f"{a}"


def read_request_size(request: str) -> RequestSize:
    text = " ".join(request.split())
    therapy = bool(_THERAPY.search(text))
    strength = _strength(text)
    quantity = None
    sessions = _sessions(text) if therapy else None
    hashed = _HASH.search(text)
    if hashed and therapy and sessions is None:
        sessions = int(hashed.group(1))
    elif hashed and not therapy:
        quantity = int(hashed.group(1))
    word = _QUANTITY_WORD.search(text)
    if quantity is None and word and not therapy:
        quantity = int(word.group(1))
    leading = _LEADING_COUNT.search(text)
    if quantity is None and leading and not therapy:
        quantity = _number(leading.group(1))
    frequency, weeks, per_week = _frequency(text)
    duration = _duration(text) or (f"{weeks} week" + ("s" if weeks != 1 else "") if weeks else "")
    if therapy and weeks and per_week:  # "two times four visits": two a week for four weeks
        sessions = per_week * weeks
    if sessions is None and therapy and per_week and duration.endswith(("week", "weeks")):
        count = duration.split()[0].split("-")[-1]
        sessions = per_week * int(count)
    return RequestSize(sessions, quantity, frequency, duration, strength)


def _strength(text: str) -> str:
    found = _STRENGTH.search(text)
    if not found:
        return ""
    amount, unit = re.sub(r"\s+", "", found.group(1)), found.group(2).lower()
    amount = _combined(amount, bool(_DRUG_PAIR.search(text)))
    return f"{amount}%" if unit == "%" else f"{amount} {unit}"


# "Tramadol/APAP", "Diclofenac/misoprostol": two drugs named as one product.
_DRUG_PAIR = re.compile(r"\b[a-z]{3,}\s*/\s*[a-z]{3,}\b", re.I)


def _combined(amount: str, pair_named: bool) -> str:
    """A hyphen joins the strengths of a combination ("7.5-325", "75-0.2") or the ends of a
    dose range ("5-10"). A pair of drugs named, figures that fall, or figures more than tenfold
    apart make a combination, written with a slash as combinations usually are; a range keeps
    its hyphen."""
    figures = [float(f) for f in re.split(r"[/-]", amount)]
    if "-" not in amount or len(figures) != 2 or 0 in figures:
        return amount
    low, high = figures
    combination = pair_named or high <= low or high / low > 10
    return amount.replace("-", "/") if combination else amount


def _sessions(text: str) -> int | None:
    """The number of sessions asked for; the most a range ("12-18 sessions") allows."""
    for pattern in _SESSIONS:
        found = pattern.search(text)
        if found and _number(found.group(1)):
            return _number(found.group(2)) or _number(found.group(1))
    return None


def _frequency(text: str) -> tuple[str, int | None, int | None]:
    """(frequency, weeks from an "AxB" form, most visits a week)."""
    week = _PER_WEEK.search(text)
    if week and _number(week.group(1)):
        span = _span(week.group(1), week.group(2))
        return f"{span}/week", None, _number(week.group(2) or week.group(1))
    times = _TIMES.search(text)
    if times and _number(times.group(1)) and _number(times.group(2)):
        per_week = _number(times.group(1))
        return f"{per_week}/week", _number(times.group(2)), per_week
    day = _PER_DAY.search(text)
    if day:
        count = _number(day.group(1)) or _number(day.group(2)) or 1
        return f"{count}/day", None, None
    every = _EVERY.search(text)
    if every:
        unit = every.group(1).lower()
        return f"1/{unit}", None, 1 if unit == "week" else None
    return "", None, None


def _duration(text: str) -> str:
    tagged = _QUANTITY_OF_TIME.search(text)
    if tagged:
        count, unit = int(tagged.group(2)), tagged.group(1).lower()
        return f"{count} {unit}" + ("s" if count != 1 else "")
    for pattern in _DURATION:
        found = pattern.search(text)
        if not found or not _number(found.group(1)):
            continue
        span = _span(found.group(1), found.group(2))
        unit = (found.group(3) or "day").lower()
        plural = "" if span == "1" else "s"
        return f"{span} {unit}{plural}"
    return ""
