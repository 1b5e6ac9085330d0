"""The backend contract: tests every search backend passes (django-modelsearch's BackendTests
pattern). A backend's test module subclasses `BackendContract` and provides `make_backend`.

The corpus is eight items of four letters built by hand as ItemDocuments, so the expected
totals are known exactly; ranking is checked by thresholds (what must come first), never by
exact scores. Nothing here is Whoosh's: a backend that cannot do something skips that test with
its reason (pytest.skip in its subclass).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from search.engine import semantic
from search.engine.contract import (
    ItemDocument,
    SearchSpec,
    SimilarSpec,
    StoredItem,
)
from search.engine.facets import FACET_NAMES
from search.engine.query import parse_user_query
from search.engine.vocabulary import concept_tokens
from search.letters import domain

# (letter, case number, decided, injured, received, specialty, [(request, outcome, rationale,
# category, source, guideline)])
LETTERS = [
    ("l1", "CM16-0000001", date(2016, 3, 1), date(2014, 1, 10), date(2016, 1, 20),
     "Orthopedic Surgery", [
         ("MRI of the lumbar spine", "upheld",
          "Magnetic resonance imaging is not indicated without red flags.",
          "Imaging", "MTUS", "Low Back"),
         ("Physical therapy 12 sessions", "overturned",
          "Physical therapy is recommended for chronic low back pain.",
          "Physical Medicine", "MTUS", "Chronic Pain"),
     ]),
    ("l2", "CM17-0000002", date(2017, 6, 15), date(2015, 5, 5), date(2017, 5, 1),
     "Anesthesiology", [
         ("Epidural steroid injection L4-L5", "upheld",
          "Epidural injections require radiculopathy on examination.",
          "Injections", "MTUS", "Low Back"),
         ("Acupuncture 6 visits", "overturned",
          "Acupuncture is recommended when pain medication is reduced.",
          "Physical Medicine", "Official Disability Guidelines", "Pain"),
     ]),
    ("l3", "CM17-0000003", date(2017, 11, 2), None, date(2017, 10, 1),
     "Psychiatry", [
         ("Cognitive behavioral therapy", "overturned",
          "Psychological treatment is recommended for chronic pain.",
          "Psychology", "MTUS", "Chronic Pain"),
         ("Oxycodone 10mg #60", "upheld",
          "Opioids are not recommended without functional improvement; the MRI shows no "
          "compression.",
          "Pharmacy", "MTUS", "Chronic Pain"),
     ]),
    ("l4", "CM18-0000004", None, None, None,
     "Orthopedic Surgery", [
         ("Knee brace", "upheld", "A brace is not indicated for chronic knee pain.",
          "Durable Medical Equipment", "None", ""),
         ("Home exercise program", "overturned",
          "Exercise is recommended; an MRI of the knee was normal.",
          "Physical Medicine", "MTUS", "Knee"),
     ]),
]


def item_document(letter_id, case_number, decided, injured, received, specialty, ordinal, row):
    request, outcome, rationale, category, source, guideline = row
    label = f"{source} > {guideline}" if guideline else ""
    facets = dict.fromkeys(FACET_NAMES, ())
    facets.update(
        outcome=(outcome,),
        category=(category,),
        specialty=(specialty,),
        source=(source,),
        guideline=(label,) if label else (),
        year=(str(decided.year),) if decided else (),
        priority=("Standard",),
        case_outcome=("Partial Overturn",),
    )
    return ItemDocument(
        item=StoredItem(
            letter_id=letter_id, ordinal=ordinal, case_number=case_number,
            decision_date=decided, request=request, rationale=rationale, outcome=outcome,
            case_outcome="Partial Overturn", category=category, specialties=(specialty,),
            guidelines=(label,) if label else (),
        ),
        case_number_forms=(case_number.lower(), case_number.lower().replace("-", "")),
        text=f"{request}\n{rationale}",
        item_text=f"{request}\n{rationale}",
        concepts=tuple(concept_tokens(request)),
        decision_date=decided,
        injury_date=injured,
        received_date=received,
        facets=facets,
    )


def corpus_documents(letters=LETTERS) -> list[ItemDocument]:
    documents = []
    for letter_id, case, decided, injured, received, specialty, rows in letters:
        for ordinal, row in enumerate(rows, start=1):
            documents.append(
                item_document(letter_id, case, decided, injured, received, specialty, ordinal,
                              row)
            )
    return documents


class BackendContract:
    """Subclasses provide `make_backend(path)`: an empty backend storing under `path`."""

    def make_backend(self, path):
        raise NotImplementedError

    @pytest.fixture
    def backend(self, tmp_path):
        backend = self.make_backend(tmp_path / "backend")
        backend.rebuild(lambda writer: writer.add(corpus_documents()))
        return backend

    # -- helpers

    def search(self, backend, text: str = "", **spec):
        parsed = parse_user_query(text, backend.analyze)
        return backend.search(SearchSpec(query=parsed, **spec))

    def ids(self, result) -> list[str]:
        return [hit.item_id for hit in result.hits]

    def replace_l4(self, backend) -> None:
        """Letter l4 written again with one new item, a sleep study."""
        replacement = corpus_documents(
            [("l4", "CM18-0000004", date(2018, 2, 2), None, None, "Psychiatry", [
                ("Sleep study", "overturned", "A sleep study is recommended.",
                 "Diagnostics", "MTUS", "Sleep"),
            ])]
        )
        with backend.writer() as writer:
            writer.replace_letters(["l4"], replacement)

    # -- matching

    def test_no_words_match_every_item(self, backend):
        result = self.search(backend)
        assert result.total == 8
        assert (result.upheld, result.overturned) == (4, 4)

    def test_every_word_must_match(self, backend):
        assert self.search(backend, "lumbar spine").total == 1
        # No item has both words: none matches every word (with soft matching, the items that
        # match most of them follow, and exact_total says none matched them all).
        both = self.search(backend, "lumbar knee")
        assert (both.total if both.exact_total is None else both.exact_total) == 0

    def test_too_few_exact_matches_are_followed_by_items_matching_most_words(self, backend):
        result = self.search(backend, "lumbar spine knee")
        assert result.exact_total == 0
        # Every item with lumbar, spine or knee (three), the one with two of the words first.
        assert result.total == 3
        assert self.ids(result)[0] == "l1#1"

    def test_a_drug_class_word_finds_the_drugs_of_the_class(self, backend):
        assert self.ids(self.search(backend, "opioid")) == ["l3#2"]
        assert self.ids(self.search(backend, "narcotics")) == ["l3#2"]

    def test_an_abbreviation_finds_its_spelled_out_form(self, backend):
        # "MRI" in three items; "magnetic resonance imaging" only beside an MRI already.
        assert self.search(backend, "mri").total == 3
        assert self.search(backend, "magnetic resonance imaging").total == 3

    def test_phrases_need_their_words_together_in_order(self, backend):
        assert self.ids(self.search(backend, '"physical therapy"')) == ["l1#2"]
        assert self.search(backend, '"therapy physical"').total == 0

    def test_prefixes(self, backend):
        assert self.ids(self.search(backend, "epidur*")) == ["l2#1"]
        assert self.search(backend, "acupunct*").total == 1

    def test_or_and_not(self, backend):
        assert sorted(self.ids(self.search(backend, "acupuncture OR brace"))) == ["l2#2", "l4#1"]
        assert self.ids(self.search(backend, "pain -chronic")) == ["l2#2"]
        assert self.search(backend, "-pain").total == 4

    def test_a_field_limits_where_a_word_counts(self, backend):
        assert self.ids(self.search(backend, "request:mri")) == ["l1#1"]

    # -- filters, facets and dates

    def test_filters_and_within_a_facet_or(self, backend):
        assert self.search(backend, filters={"outcome": ("overturned",)}).total == 4
        both = {"outcome": ("overturned",), "category": ("Physical Medicine",)}
        assert self.search(backend, filters=both).total == 3
        either = {"category": ("Imaging", "Psychology")}
        assert sorted(self.ids(self.search(backend, filters=either))) == ["l1#1", "l3#1"]

    def test_facet_counts_leave_out_their_own_selection(self, backend):
        result = self.search(backend, filters={"outcome": ("overturned",)})
        assert dict(result.facets["outcome"]) == {"upheld": 4, "overturned": 4}
        assert dict(result.facets["category"]) == {
            "Physical Medicine": 3,
            "Psychology": 1,
        }
        assert dict(result.facets["specialty"])["Orthopedic Surgery"] == 2

    def test_facet_counts_follow_the_words(self, backend):
        result = self.search(backend, "chronic")
        assert result.total == 3
        assert dict(result.facets["outcome"]) == {"upheld": 1, "overturned": 2}
        assert dict(result.facets["year"]) == {"2016": 1, "2017": 1}

    def test_unknown_filter_values_are_ignored_and_reported(self, backend):
        result = self.search(backend, filters={"specialty": ("Astrology",)})
        assert result.total == 8
        assert result.ignored_filters == {"specialty": ("Astrology",)}

    def test_date_ranges_are_inclusive_and_drop_undated_items(self, backend):
        year_2017 = {"decision_date": (date(2017, 1, 1), date(2017, 12, 31))}
        assert self.search(backend, date_ranges=year_2017).total == 4
        one_day = {"decision_date": (date(2017, 6, 15), date(2017, 6, 15))}
        assert sorted(self.ids(self.search(backend, date_ranges=one_day))) == ["l2#1", "l2#2"]
        until = {"decision_date": (None, date(2016, 12, 31))}
        assert self.search(backend, date_ranges=until).total == 2
        injured = {"injury_date": (date(2015, 1, 1), None)}
        assert sorted(self.ids(self.search(backend, date_ranges=injured))) == ["l2#1", "l2#2"]

    # -- order and pages

    def test_sorted_by_date(self, backend):
        newest = self.ids(self.search(backend, sort="newest", limit=8))
        assert newest[:2] == ["l3#1", "l3#2"] or newest[:2] == ["l3#2", "l3#1"]
        dated = [i for i in self.ids(self.search(backend, sort="oldest", limit=8))
                 if not i.startswith("l4")]
        assert [i.split("#")[0] for i in dated] == ["l1", "l1", "l2", "l2", "l3", "l3"]

    def test_pages(self, backend):
        everything = self.ids(self.search(backend, sort="newest", limit=8))
        second = self.search(backend, sort="newest", offset=3, limit=3)
        assert second.total == 8
        assert self.ids(second) == everything[3:6]
        assert self.search(backend, offset=8, limit=3).hits == []

    def test_ranking_puts_the_request_match_first(self, backend):
        result = self.search(backend, "mri")
        assert self.ids(result)[0] == "l1#1"
        assert result.hits[0].score > 0
        therapy = self.search(backend, "therapy")
        assert set(self.ids(therapy)[:2]) == {"l1#2", "l3#1"}

    def test_typed_case_numbers_come_first_in_order(self, backend):
        result = self.search(backend, "CM17-0000003 acupuncture")
        assert result.total == 3
        assert self.ids(result)[:2] == ["l3#1", "l3#2"]
        assert self.ids(result)[2] == "l2#2"
        assert self.search(backend, "cm160000001").total == 2

    def test_hits_carry_what_a_result_shows(self, backend):
        hit = self.search(backend, "request:mri").hits[0]
        assert hit.item.case_number == "CM16-0000001"
        assert hit.item.decision_date == date(2016, 3, 1)
        assert hit.item.outcome == "upheld"
        assert hit.item.request == "MRI of the lumbar spine"
        assert "Magnetic resonance" in hit.item.rationale
        assert hit.item.specialties == ("Orthopedic Surgery",)

    # -- similar items

    def test_similar_items_leave_out_the_items_letter(self, backend):
        result = backend.similar(SimilarSpec(item_id=domain.item_id("l1", 2), limit=10))
        assert result.found and result.terms
        assert result.hits and all(not h.item_id.startswith("l1#") for h in result.hits)
        assert all(h.score > 0 for h in result.hits)
        assert backend.similar(SimilarSpec(item_id="nope#1")).found is False

    def test_similar_to_a_text(self, backend):
        result = backend.similar(SimilarSpec(text="acupuncture, psychological", limit=10))
        assert sorted(h.item_id for h in result.hits) == ["l2#2", "l3#1"]
        only = backend.similar(
            SimilarSpec(text="acupuncture, psychological", filters={"category": ("Psychology",)})
        )
        assert [h.item_id for h in only.hits] == ["l3#1"]

    # -- writing and generations

    def test_replacing_and_deleting_letters(self, backend):
        self.replace_l4(backend)
        assert self.search(backend).total == 7
        assert self.ids(self.search(backend, "sleep")) == ["l4#1"]
        assert self.search(backend, "brace").total == 0
        with backend.writer() as writer:
            writer.delete_letters(["l1", "l2"])
        assert self.search(backend).total == 3
        assert backend.document_count() == 3
        item_ids, letter_ids = backend.indexed_ids()
        assert letter_ids == {"l3", "l4"} and "l4#1" in item_ids

    def test_a_rebuild_switches_to_a_new_generation(self, backend):
        before = backend.generation()
        backend.rebuild(lambda writer: writer.add(corpus_documents(LETTERS[:1])))
        assert backend.generation() != before
        assert self.search(backend).total == 2
        assert backend.document_count() == 2

    # -- ranking by meaning (the item vectors)

    def embedded(self, backend, **options):
        """The catch-up step's report; the test skips when the model is not installed."""
        report = backend.embed_missing(**options)
        if report.unavailable:
            pytest.skip(f"ranking by meaning is unavailable here: {report.unavailable}")
        return report

    def test_the_catch_up_embeds_each_item_once(self, backend):
        first = self.embedded(backend, limit=3)
        assert (first.embedded, first.remaining) == (3, 5)
        assert backend.vector_coverage() == (3, 8)
        rest = self.embedded(backend)
        assert (rest.embedded, rest.remaining) == (5, 0)
        assert backend.vector_coverage() == (8, 8)
        assert self.embedded(backend).embedded == 0

    def test_meaning_orders_the_matches_and_changes_nothing_else(self, backend, monkeypatch):
        self.embedded(backend)
        # Meaning weighted far above words: the items matching both words come in the order of
        # their vectors' closeness to the query's, the item matching one word after them.
        monkeypatch.setattr(semantic, "MEANING_WEIGHT", 100.0)
        words = self.search(backend, "chronic pain", ranking="words")
        hybrid = self.search(backend, "chronic pain", ranking="hybrid")
        assert hybrid.total == words.total == 4
        assert hybrid.facets == words.facets
        assert (hybrid.upheld, hybrid.overturned) == (words.upheld, words.overturned)
        both = [d for d in corpus_documents() if d.item_id in {"l1#2", "l3#1", "l4#1"}]
        texts = [semantic.item_text(d.item.request, d.item.rationale) for d in both]
        closeness = semantic.embed_texts(texts) @ semantic.query_vectors.get("chronic pain")
        nearest_first = [both[i].item_id for i in np.argsort(-closeness)]
        assert self.ids(hybrid) == [*nearest_first, "l2#2"]
        assert self.ids(words)[:3] != nearest_first  # so the order above is meaning's

    def test_pages_of_a_fused_ranking_show_each_match_once(self, backend):
        self.embedded(backend)
        whole = self.ids(self.search(backend, "pain", limit=10))
        paged = [i for offset in range(0, 4, 2)
                 for i in self.ids(self.search(backend, "pain", offset=offset, limit=2))]
        assert paged == whole and len(set(whole)) == 4

    def test_similar_items_by_meaning_are_the_word_matches(self, backend):
        self.embedded(backend)
        text = "Request for acupuncture for chronic low back pain"
        for spec in (SimilarSpec(text=text), SimilarSpec(item_id="l3#1")):
            hybrid = backend.similar(spec)
            words = backend.similar(replace(spec, ranking="words"))
            assert hybrid.hits
            assert {h.item_id for h in hybrid.hits} == {h.item_id for h in words.hits}

    def test_a_replaced_letter_is_embedded_again_and_a_rebuild_keeps_the_rest(self, backend):
        self.embedded(backend)
        self.replace_l4(backend)
        assert backend.vector_coverage() == (6, 7)
        backend.rebuild(lambda writer: writer.add(corpus_documents(LETTERS[:3])))
        assert backend.vector_coverage() == (6, 6)
        assert self.embedded(backend).embedded == 0

    def test_typed_case_numbers_stay_first_when_meaning_ranks_the_rest(self, backend):
        self.embedded(backend)
        words = self.search(backend, "CM17-0000003 OR pain", ranking="words")
        hybrid = self.search(backend, "CM17-0000003 OR pain", ranking="hybrid")
        assert self.ids(hybrid)[:2] == self.ids(words)[:2] == ["l3#1", "l3#2"]
        assert sorted(self.ids(hybrid)) == sorted(self.ids(words))
        assert hybrid.total == words.total
