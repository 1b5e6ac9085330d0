"""The synthetic letter generator: determinism, realistic mixes, files, and a parser round trip."""

import re
from datetime import date

import pytest

from search.letters.extract import clean_text
from search.letters.synthetic import SYNTHETIC_NOTICE, generate_letters, main, write_corpus

CASE_NUMBER = re.compile(r"^SY\d{2}-\d{7}$")
MIX_SAMPLE = 2000


@pytest.fixture(scope="module")
def corpus():
    return list(generate_letters(MIX_SAMPLE, seed=7))


def test_same_seed_gives_same_letters():
    first = [letter.text for letter in generate_letters(20, seed=3)]
    again = [letter.text for letter in generate_letters(20, seed=3)]
    assert first == again


def test_different_seeds_give_different_letters():
    one = [letter.text for letter in generate_letters(5, seed=1)]
    two = [letter.text for letter in generate_letters(5, seed=2)]
    assert all(a != b for a, b in zip(one, two, strict=True))


def test_a_slice_regenerates_the_same_letters():
    whole = list(generate_letters(20, seed=1))
    part = list(generate_letters(10, seed=1, start=5))
    assert [letter.text for letter in part] == [letter.text for letter in whole[5:15]]
    assert [letter.expected for letter in part] == [letter.expected for letter in whole[5:15]]


def test_every_letter_says_it_is_synthetic(corpus):
    for letter in corpus:
        assert CASE_NUMBER.match(letter.case_number)
        assert f"Case Number: {letter.case_number}" in letter.text
        assert SYNTHETIC_NOTICE in letter.text
        assert "This summary is synthetic" in letter.text
        assert letter.expected["synthetic"] is True


def test_case_numbers_are_unique(corpus):
    numbers = [letter.case_number for letter in corpus]
    assert len(set(numbers)) == len(numbers)


def test_items_per_letter_mix(corpus):
    counts = [len(letter.expected["items"]) for letter in corpus]
    assert 2.0 <= sum(counts) / len(counts) <= 2.6
    assert min(counts) >= 1
    assert max(counts) <= 21
    assert counts.count(1) > len(counts) / 3  # most letters decide one to three items


def test_overturned_share_of_items(corpus):
    outcomes = [outcome for letter in corpus for _, outcome, _ in letter.expected["items"]]
    assert set(outcomes) <= {"upheld", "overturned"}
    assert 0.08 <= outcomes.count("overturned") / len(outcomes) <= 0.14


def test_vocabulary_covers_the_official_mixes(corpus):
    categories = {category for letter in corpus for *_, category in letter.expected["items"]}
    assert {
        "Pharmaceuticals", "Diagnostic Testing", "Rehabilitation", "Psych Services", "Injection",
        "Surgery", "DMEPOS", "Programs", "Evaluation & Management (E&M)",
    } <= categories
    specialties = [s for letter in corpus for s in letter.expected["specialties"]]
    assert {"Psychiatry", "Orthopedic Surgery", "Physical Medicine & Rehabilitation"} <= set(
        specialties
    )
    assert all(1 <= len(letter.expected["specialties"]) <= 3 for letter in corpus)
    priorities = {letter.expected["priority"] for letter in corpus}
    assert priorities == {"Standard", "Expedited"}


def test_dates_are_consistent(corpus):
    for letter in corpus:
        facts = letter.expected
        assert date(2013, 1, 1) <= facts["decision_date"] <= date(2026, 12, 31)
        assert facts["date_of_injury"] < facts["ur_denial_date"] < facts["decision_date"]
        assert facts["decision_date"].strftime("%m/%d/%Y") in letter.text


def test_both_citation_eras_and_layout_variants_occur(corpus):
    text = "\n".join(letter.text for letter in corpus)
    assert "MTUS Chronic Pain Treatment Guidelines" in text and "Page(s):" in text
    assert "Chronic Pain Medical Treatment 2016, Section(s):" in text
    assert "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG)" in text
    assert "did not cite any medical evidence for its decision." in text
    assert "The remaining IMR eligible portion of the original request," in text
    assert "Associated surgical service: " in text
    assert "QUANTITY: " in text
    assert "\f" in text


def test_rare_words_are_rare_and_common_words_common(corpus):
    sample = [set(re.findall(r"[a-z]+", letter.text.lower())) for letter in corpus[:500]]
    document_frequency: dict[str, int] = {}
    for words in sample:
        for word in words:
            document_frequency[word] = document_frequency.get(word, 0) + 1
    assert document_frequency["request"] == len(sample)
    rare = [word for word, count in document_frequency.items() if count <= 2]
    assert len(rare) > 300


def test_write_corpus_writes_one_file_per_letter(tmp_path):
    assert write_corpus(tmp_path / "letters", 5, seed=2) == 5
    files = sorted((tmp_path / "letters").glob("*.txt"))
    letters = list(generate_letters(5, seed=2))
    assert [path.stem for path in files] == sorted(letter.case_number for letter in letters)
    by_number = {letter.case_number: letter.text for letter in letters}
    for path in files:
        assert path.read_text(encoding="utf-8") == by_number[path.stem]


def test_command_line_writes_the_corpus(tmp_path, capsys):
    assert main(["--count", "3", "--seed", "4", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("SY*.txt"))) == 3
    assert "wrote 3" in capsys.readouterr().out


def _normalised(text: str) -> str:
    return " ".join(text.split())


def test_parser_reads_back_what_was_generated():
    letter_parser = pytest.importorskip("search.letters.parser")
    problems = []
    for letter in generate_letters(200, seed=11):
        facts = letter.expected
        parsed = letter_parser.parse_letter(clean_text(letter.text))
        got_items = [(_normalised(i.request), i.outcome) for i in parsed.items]
        want_items = [(_normalised(request), outcome) for request, outcome, _ in facts["items"]]
        checks = {
            "case number": (parsed.header.case_number, facts["case_number"]),
            "decision date": (parsed.header.decision_date, facts["decision_date"]),
            "item count": (len(parsed.items), len(facts["items"])),
            "requests and outcomes": (got_items, want_items),
            "specialties": (parsed.reviewer.specialties, facts["specialties"]),
        }
        for name, (got, want) in checks.items():
            if got != want:
                problems.append(f"{letter.case_number} {name}: got {got!r}, want {want!r}")
    assert not problems, "\n".join(problems[:20])


def _letters_with_a_heading_across_pages(count: int, seed: int):
    """Letters where a page break falls inside an item heading, as extractors place it."""
    for letter in generate_letters(count, seed=seed):
        for details in letter.expected["item_details"]:
            pattern = r"\s+".join(re.escape(word) for word in details["heading"].split())
            if "\f" in re.search(pattern, letter.text).group(0):
                yield letter
                break


def test_parser_reads_headings_split_by_a_page_break():
    letter_parser = pytest.importorskip("search.letters.parser")
    letters = list(_letters_with_a_heading_across_pages(1000, seed=5))
    assert letters, "the generator should put some page breaks inside headings"
    problems = []
    for letter in letters:
        parsed = letter_parser.parse_letter(clean_text(letter.text))
        got = [_normalised(item.request) for item in parsed.items]
        want = [_normalised(request) for request, _, _ in letter.expected["items"]]
        if got != want:
            problems.append(f"{letter.case_number}: got {got!r}, want {want!r}")
    assert not problems, "\n".join(problems)
