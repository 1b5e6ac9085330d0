"""search.engine.vocabulary: drug names, classes and lay terms."""

import importlib.util
import json
from pathlib import Path

import pytest

from search.engine import vocabulary
from search.engine.vocabulary import drug_concepts, words_of
from search.engine.vocabulary.drug_table import DRUG_CLASSES, PRODUCTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Norco 10/325mg #90", {"hydrocodone", "acetaminophen", "opioid"}),
        ("Hydrocodone/APAP 10/325", {"hydrocodone", "acetaminophen", "opioid"}),
        ("Flexeril 7.5 mg", {"cyclobenzaprine", "muscle_relaxant"}),
        ("Prilosec 20mg", {"omeprazole", "ppi", "gi_protection"}),
        ("Voltaren XR 100mg", {"diclofenac", "nsaid"}),
        ("Fanatrex (gabapentin) oral suspension", {"gabapentin", "anticonvulsant"}),
        ("Terocin patches", {"topical_analgesic", "lidocaine", "capsaicin", "menthol",
                             "methyl salicylate"}),
        ("Tylenol #3", {"codeine", "acetaminophen", "opioid"}),
    ],
)
def test_drug_concepts_of_request_texts(text, expected):
    assert expected <= drug_concepts(words_of(text))


def test_class_words_name_the_class_only():
    assert drug_concepts(words_of("muscle relaxant")) == {"muscle_relaxant"}
    assert drug_concepts(words_of("anti-inflammatory")) == {"nsaid"}
    assert drug_concepts(words_of("sleep medication")) == {"sleep_aid"}


def test_non_drug_text_has_no_drug_concepts():
    assert drug_concepts(words_of("physical therapy 2x/week for 6 weeks lumbar spine")) == set()
    assert drug_concepts(words_of("MRI of the cervical spine without contrast")) == set()


def test_without_classes_gives_generics_only():
    assert drug_concepts(words_of("norco"), with_classes=False) == {"hydrocodone", "acetaminophen"}


def test_every_class_member_and_product_ingredient_is_a_known_name():
    names = vocabulary.drug_names()
    members = {m for _, _, ms in DRUG_CLASSES.values() for m in ms}
    ingredients = {g for gs in PRODUCTS.values() for g in gs}
    missing = {n for n in members | ingredients if tuple(words_of(n)) not in names}
    assert not missing, missing


@pytest.mark.slow  # the library unpickles its whole dictionary: 10-15 s
def test_drugs_file_is_what_the_library_gives_today():
    if importlib.util.find_spec("drug_named_entity_recognition") is None:
        pytest.skip("drug-named-entity-recognition is not installed (pip install -e .[dev])")
    script = Path(__file__).resolve().parents[2] / "scripts" / "build_drug_vocabulary.py"
    spec = importlib.util.spec_from_file_location("build_drug_vocabulary", script)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert builder.build() == json.loads(vocabulary.DRUGS_FILE.read_text())
