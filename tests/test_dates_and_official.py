"""Everything the state's search can do: date ranges, case outcome, the official vocabularies,
timeliness buckets and case-number lists, over the sample letters (PDFs with a header and the
seeds without one), through the search module, the pages, the API, the CSV and the feed."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, timedelta
from urllib.parse import parse_qsl

import pytest

from search.letters import domain
from search.letters.categories import category_choices
from search.letters.specialties import SPECIALTIES
from search.letters.timeliness import BUCKET_VALUES, Timeliness, bucket_for
from search.models import Determination, Letter
from search.searching import run_search
from search.web.forms import SearchForm

ATOM = "{http://www.w3.org/2005/Atom}"

# Parameter prefix -> the Letter field it filters on.
RANGES = {
    "decided": "decision_date",
    "injured": "date_of_injury",
    "received": "application_received",
}


def search(**params):
    return run_search(SearchForm(params).search_request())


def all_hits(**params) -> list:
    hits, page = [], 1
    while True:
        result = search(**params, page=str(page))
        hits.extend(result.hits)
        if page >= result.pages:
            return hits
        page += 1


def facet_counts(result, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


def middle_date(field: str) -> date:
    days = sorted(
        Letter.objects.exclude(**{f"{field}__isnull": True}).values_list(field, flat=True)
    )
    assert len(days) > 10, f"the sample letters should state {field}"
    return days[len(days) // 2]


def seed_letters():
    return Letter.objects.filter(decision_date__isnull=True)


def letter_outcomes() -> dict[str, str]:
    """public_id -> case outcome, computed here from the stored items."""
    outcomes: dict[str, set] = {}
    for public_id, outcome in Determination.objects.values_list("letter__public_id", "outcome"):
        outcomes.setdefault(public_id, set()).add(outcome)
    expected = {}
    for public_id, found in outcomes.items():
        if found == {"upheld"}:
            expected[public_id] = "Upheld"
        elif found == {"overturned"}:
            expected[public_id] = "Overturned"
        else:
            expected[public_id] = "Partial Overturn"
    return expected


# --- date ranges -------------------------------------------------------------------------------


def test_the_sample_has_letters_with_and_without_a_header(corpus):
    assert seed_letters().count() >= 3
    assert Letter.objects.filter(decision_date__isnull=False).count() >= 50


@pytest.mark.parametrize("prefix", sorted(RANGES))
def test_each_date_range_matches_the_database(corpus, prefix):
    field = RANGES[prefix]
    middle = middle_date(field)
    items = Determination.objects
    cases = [
        ({f"{prefix}_from": middle.isoformat()}, items.filter(**{f"letter__{field}__gte": middle})),
        ({f"{prefix}_to": middle.isoformat()}, items.filter(**{f"letter__{field}__lte": middle})),
        (
            {
                f"{prefix}_from": (middle - timedelta(days=20)).isoformat(),
                f"{prefix}_to": (middle + timedelta(days=20)).isoformat(),
            },
            items.filter(
                **{
                    f"letter__{field}__gte": middle - timedelta(days=20),
                    f"letter__{field}__lte": middle + timedelta(days=20),
                }
            ),
        ),
    ]
    everything = Determination.objects.count()
    for params, expected in cases:
        result = search(**params)
        assert not result.notices, result.notices
        assert result.total == expected.count() < everything, params
        # The facets are counted under the date filter too.
        assert sum(facet_counts(result, "outcome").values()) == result.total
        assert sum(facet_counts(result, "case_outcome").values()) == result.total


def test_letters_without_a_header_appear_only_when_no_date_filter_is_set(corpus):
    seeds = {letter.public_id for letter in seed_letters()}
    assert {h.letter_id for h in all_hits()} >= seeds
    for prefix, field in RANGES.items():
        undated = set(
            Letter.objects.filter(**{f"{field}__isnull": True}).values_list("public_id", flat=True)
        )
        # An open range that every stated date falls in still leaves the undated letters out.
        for params in (
            {f"{prefix}_from": "1990-01-01"},
            {f"{prefix}_to": "2099-12-31"},
        ):
            hits = all_hits(**params)
            assert (
                len(hits)
                == Determination.objects.filter(**{f"letter__{field}__isnull": False}).count()
            )
            assert not {h.letter_id for h in hits} & undated, params
    # The seeds state no decision date and no application date (their date of injury comes
    # from the case summary).
    assert not {h.letter_id for h in all_hits(decided_to="2099-12-31")} & seeds
    assert not {h.letter_id for h in all_hits(received_from="1990-01-01")} & seeds


@pytest.mark.parametrize("bad", ["2017-13-45", "yesterday", "2017/01/05", "17-1-5"])
def test_a_bad_date_gives_a_notice_and_no_filter(corpus, client, bad):
    result = search(decided_from=bad)
    assert result.total == Determination.objects.count()
    assert any("Ignored" in n and "decision date" in n for n in result.notices)
    page = client.get("/", {"decided_from": bad, "q": "therapy"})
    assert page.status_code == 200
    assert "use a date such as 2017-01-31" in page.content.decode()
    assert client.get("/api/search", {"injured_to": bad}).json()["notice"]


def test_a_reversed_range_is_swapped_with_a_notice(corpus):
    request = SearchForm(
        {"received_from": ["2017-02-01"], "received_to": ["2016-12-01"]}
    ).search_request()
    assert request.received_from == date(2016, 12, 1)
    assert request.received_to == date(2017, 2, 1)
    assert any("swapped" in n for n in request.notices)


def test_letter_style_dates_are_read_too():
    request = SearchForm({"decided_from": ["01/31/2017"]}).search_request()
    assert request.decided_from == date(2017, 1, 31) and not request.notices


def test_dates_are_kept_in_a_stable_order_in_the_url():
    params = [
        ("received_to", "2017-03-01"),
        ("q", "mri"),
        ("decided_from", "2016-12-01"),
        ("case_outcome", "partial overturn"),
        ("injured_from", "2015-01-01"),
        ("days_to_decision", "8-14"),
    ]
    from django.http import QueryDict

    a = QueryDict(mutable=True)
    b = QueryDict(mutable=True)
    for name, value in params:
        a.appendlist(name, value)
    for name, value in reversed(params):
        b.appendlist(name, value)
    first, second = SearchForm(a).search_request(), SearchForm(b).search_request()
    assert first.querystring() == second.querystring()
    names = [name for name, _ in first.to_params()]
    assert names == [
        "q",
        "case_outcome",
        "days_to_decision",
        "decided_from",
        "injured_from",
        "received_to",
    ]
    assert ("case_outcome", "Partial Overturn") in first.to_params()
    assert ("decided_from", "2016-12-01") in first.to_params()
    # A chip removes one range and keeps everything else.
    without = dict(parse_qsl(first.without_range("decided")))
    assert "decided_from" not in without and without["received_to"] == "2017-03-01"
    assert "received_to" not in dict(parse_qsl(first.without_filters()))


# --- case outcome ------------------------------------------------------------------------------


def test_case_outcome_is_computed_from_the_items(corpus):
    expected = letter_outcomes()
    assert set(expected.values()) == {"Upheld", "Overturned", "Partial Overturn"}
    for letter in Letter.objects.prefetch_related("determinations"):
        assert letter.case_outcome == expected[letter.public_id]
    hits = all_hits()
    assert len(hits) == Determination.objects.count()
    for hit in hits:
        assert hit.case_outcome == expected[hit.letter_id], hit.item_id


def test_case_outcome_facet_and_filter(corpus):
    expected = letter_outcomes()
    per_item = Counter(
        expected[public_id]
        for public_id in Determination.objects.values_list("letter__public_id", flat=True)
    )
    result = search()
    assert facet_counts(result, "case_outcome") == dict(per_item)
    assert [v.value for v in result.facets["case_outcome"]] == list(domain.CASE_OUTCOMES)
    for typed, outcome in [
        ("Partial Overturn", "Partial Overturn"),
        ("partial-overturn", "Partial Overturn"),
        ("overturn", "Overturned"),
        ("Upheld", "Upheld"),
    ]:
        hits = all_hits(case_outcome=typed)
        assert len(hits) == per_item[outcome]
        assert {expected[h.letter_id] for h in hits} == {outcome}
    # A partly overturned case has items of both outcomes.
    partial = facet_counts(search(case_outcome="Partial Overturn"), "outcome")
    assert partial["upheld"] and partial["overturned"]
    assert search(case_outcome="sideways").notices


def test_case_outcome_on_results_and_letter_pages(corpus, client):
    expected = letter_outcomes()
    # A letter with a case number, so the search below can find it by that number.
    partial = min(
        pid
        for pid, outcome in expected.items()
        if outcome == "Partial Overturn" and not pid.startswith("t-")
    )
    letter = Letter.objects.get(public_id=partial)
    html = client.get("/", {"q": letter.case_number}).content.decode()
    assert "Case outcome: Partial Overturn" in html
    page = client.get(f"/letters/{partial}/").content.decode()
    assert re.search(r"<dt>Case outcome</dt><dd[^>]*>Partial Overturn</dd>", page)
    assert "badge-partial" in page


# --- the official vocabularies -----------------------------------------------------------------


def test_facet_values_are_the_state_drop_down_words(corpus):
    result = search()
    specialties = [v.value for v in result.facets["specialty"]]
    categories = [v.value for v in result.facets["category"]]
    assert specialties and set(specialties) <= set(SPECIALTIES)
    assert categories and set(categories) <= set(category_choices())
    assert any(" > " in value for value in categories)


def test_official_values_typed_in_any_case_are_accepted(corpus):
    result = search()
    category = next(v for v in result.facets["category"] if " > " in v.value)
    specialty = result.facets["specialty"][0]
    typed_category = search(category=category.value.lower())
    assert typed_category.request.category == (category.value,)
    assert typed_category.total == category.count and not typed_category.notices
    typed_specialty = search(specialty=specialty.value.upper())
    assert typed_specialty.request.specialty == (specialty.value,)
    assert typed_specialty.total == specialty.count


def test_the_category_list_has_the_state_examples():
    choices = category_choices()
    for value in (
        "Diagnostic Testing > EMG/NCV",
        "Pharmaceuticals > Opioids",
        "Psych Services > Therapies",
        "Rehabilitation > Acupuncture",
    ):
        assert value in choices
    assert 75 <= len(choices) <= 100
    assert 50 <= len(SPECIALTIES) <= 65


# --- timeliness --------------------------------------------------------------------------------

SPANS = {
    "days_to_decision": ("application_received", "decision_date"),
    "days_assigned_to_decision": ("date_assigned", "decision_date"),
    "days_denial_to_application": ("ur_denial_date", "application_received"),
}


def expected_buckets(name: str) -> Counter:
    start, end = SPANS[name]
    counts: Counter = Counter()
    for letter in Letter.objects.prefetch_related("determinations"):
        first, last = getattr(letter, start), getattr(letter, end)
        if first and last and (last - first).days >= 0:
            counts[bucket_for((last - first).days)] += letter.determinations.count()
    return counts


@pytest.mark.parametrize("name", sorted(SPANS))
def test_timeliness_buckets_match_the_header_dates(corpus, name):
    expected = expected_buckets(name)
    assert sum(expected.values()) > 0
    result = search()
    assert [v.value for v in result.facets[name]] == list(BUCKET_VALUES)
    assert {k: v for k, v in facet_counts(result, name).items() if v} == dict(expected)
    seeds = {letter.public_id for letter in seed_letters()}
    for bucket, count in expected.items():
        hits = all_hits(**{name: bucket})
        assert len(hits) == count
        assert not {h.letter_id for h in hits} & seeds
    assert search(**{name: "9-99"}).notices


def test_timeliness_numbers_on_a_letter_page(corpus, client):
    letter = (
        Letter.objects.filter(
            source_name__endswith=".pdf",
            application_received__isnull=False,
            date_assigned__isnull=False,
            ur_denial_date__isnull=False,
            decision_date__isnull=False,
        )
        .order_by("public_id")
        .first()
    )
    assert letter is not None
    page = client.get(f"/letters/{letter.public_id}/").content.decode()
    expected = {
        "days_to_decision": (letter.decision_date - letter.application_received).days,
        "days_assigned_to_decision": (letter.decision_date - letter.date_assigned).days,
        "days_denial_to_application": (letter.application_received - letter.ur_denial_date).days,
    }
    for name, days in expected.items():
        match = re.search(rf'id="timeliness-{name}" data-days="(-?\d+)">(-?\d+) days?<', page)
        assert match, name
        assert int(match.group(1)) == int(match.group(2)) == days
    assert Timeliness.of_letter(letter).days_to_decision == expected["days_to_decision"]
    # Numbers only: no verdict on whether a deadline was met.
    assert not re.search(
        r"\b(late|untimely|timely|violat)", page.split("Timeliness")[1][:600], re.I
    )


def test_a_letter_without_a_header_has_no_timeliness(corpus, client):
    seed = seed_letters().first()
    page = client.get(f"/letters/{seed.public_id}/").content.decode()
    assert "timeliness-days" not in page


# --- case numbers ------------------------------------------------------------------------------


def cm_letters(n: int) -> list[Letter]:
    letters = list(
        Letter.objects.filter(case_number__startswith="CM").order_by("public_id")[: n * 3]
    )
    return letters[::3][:n]


@pytest.mark.parametrize("form", ["{cm}", "{lower_space}", "{compact}", "  {lower_compact}  "])
def test_case_number_forms(corpus, form):
    letter = cm_letters(1)[0]
    cm = letter.case_number
    typed = form.format(
        cm=cm,
        lower_space=cm.lower().replace("-", " "),
        compact=cm.replace("-", ""),
        lower_compact=cm.lower().replace("-", ""),
    )
    hits = all_hits(q=typed)
    assert [h.letter_id for h in hits] == [letter.public_id] * letter.determinations.count()
    assert [h.ordinal for h in hits] == sorted(h.ordinal for h in hits)


@pytest.mark.parametrize("separator", [" ", ", ", "\n", ";", ",\r\n"])
def test_a_list_of_case_numbers(corpus, separator):
    letters = cm_letters(3)
    typed = separator.join(
        [
            letters[2].case_number,
            letters[0].case_number.lower(),
            letters[1].case_number.replace("-", ""),
        ]
    )
    result = search(q=typed)
    assert not result.notices, result.notices
    expected = sum(letter.determinations.count() for letter in letters)
    assert result.total == expected
    hits = all_hits(q=typed)
    # Listed in the order typed, each letter's items in order.
    order = [letters[2].public_id, letters[0].public_id, letters[1].public_id]
    assert [h.letter_id for h in hits] == [
        pid
        for pid in order
        for _ in range(Letter.objects.get(public_id=pid).determinations.count())
    ]


def test_case_numbers_run_together_are_still_read(corpus):
    letters = cm_letters(2)
    typed = letters[0].case_number + letters[1].case_number
    assert search(q=typed).total == sum(letter.determinations.count() for letter in letters)


def test_case_numbers_with_words_come_first(corpus):
    letter = cm_letters(1)[0]
    result = search(q=f"{letter.case_number} therapy")
    count = letter.determinations.count()
    assert [h.letter_id for h in result.hits[:count]] == [letter.public_id] * count


# --- the API, the CSV, the feed ----------------------------------------------------------------


def test_api_honours_the_new_parameters(corpus, client):
    middle = middle_date("decision_date")
    params = {"decided_from": middle.isoformat(), "case_outcome": "Upheld"}
    data = client.get("/api/search", params).json()
    expected = search(**params)
    assert data["total"] == expected.total > 0
    assert data["notice"] is None
    for name in ("case_outcome", "days_to_decision", "days_assigned_to_decision"):
        assert name in data["facets"]
    assert {r["case_outcome"] for r in data["results"]} == {"Upheld"}
    for row in data["results"]:
        assert date.fromisoformat(row["decision_date"]) >= middle
    bucket = client.get("/api/search", {"days_to_decision": "15-30"}).json()
    assert bucket["total"] == expected_buckets("days_to_decision")["15-30"]


def test_csv_honours_the_new_parameters(corpus, client):
    middle = middle_date("decision_date")
    response = client.get("/export/search.csv", {"decided_to": middle.isoformat()})
    lines = b"".join(response.streaming_content).decode().splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    expected = Determination.objects.filter(letter__decision_date__lte=middle).count()
    assert len(rows) == expected
    assert f"decided_to={middle.isoformat()}" in lines[0]
    assert all(date.fromisoformat(row["decision_date"]) <= middle for row in rows)
    outcomes = letter_outcomes()
    assert all(row["case_outcome"] == outcomes[row["letter_id"]] for row in rows)


def test_feed_honours_the_new_parameters(corpus, client):
    middle = middle_date("decision_date")
    response = client.get("/feeds/search/", {"decided_to": middle.isoformat()})
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.find(f"{ATOM}updated").text[:10] <= middle.isoformat()
    assert "decision date until" in root.find(f"{ATOM}title").text


# --- the search page ---------------------------------------------------------------------------


def test_the_page_folds_the_more_filters_by_default(corpus, client):
    html = client.get("/", {"q": "therapy"}).content.decode()
    match = re.search(r'<details class="more-filters" id="more-filters"( open)?>', html)
    assert match and not match.group(1)
    for prefix in RANGES:
        for end in ("from", "to"):
            name = f"{prefix}_{end}"
            assert re.search(
                rf'<label for="{name}">.*?</label>\s*<input type="date" class="facet-control '
                rf'date-control" id="{name}" name="{name}" value=""',
                html,
                re.S,
            ), name
    assert 'id="facet-case_outcome"' in html and 'id="facet-days_to_decision"' in html
    assert 'name="case_outcome" value="Partial Overturn"' in html
    # Inside the search form, so the no-JavaScript submit carries them.
    form = html[html.index('<form id="search-form"') : html.index("</form>")]
    assert 'id="more-filters"' in form


def test_active_more_filters_open_the_section_and_show_removable_chips(corpus, client):
    middle = middle_date("decision_date")
    params = {"q": "therapy", "decided_from": middle.isoformat(), "case_outcome": "Upheld"}
    html = client.get("/", params).content.decode()
    assert re.search(r'<details class="more-filters" id="more-filters" open>', html)
    assert f'value="{middle.isoformat()}"' in html
    chips = re.findall(r'<a href="/\?([^"]*)"[^>]*aria-label="Remove filter ([^"]*)"', html)
    labels = {label: dict(parse_qsl(qs.replace("&amp;", "&"))) for qs, label in chips}
    decided = next(q for label, q in labels.items() if label.startswith("Decision date: from "))
    assert "decided_from" not in decided and decided["case_outcome"] == "Upheld"
    assert decided["q"] == "therapy"
    outcome = labels["Case outcome: Upheld"]
    assert "case_outcome" not in outcome and outcome["decided_from"] == middle.isoformat()
    # One click on a chip gives the search without that filter.
    without = search(**decided)
    assert without.total == search(q="therapy", case_outcome="Upheld").total
    assert "Clear all filters" in html


def test_the_results_fragment_keeps_the_controls(corpus, client):
    response = client.get(
        "/",
        {"days_to_decision": "8-14"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )
    html = response.content.decode()
    assert 'id="more-filters" open' in html
    assert 'id="facet-days_to_decision-8-14" name="days_to_decision" value="8-14" checked' in html
    assert response["HX-Push-Url"] == "/?days_to_decision=8-14"
