"""Optional sentence embeddings for "similar products", from the WordLlama model that ships
inside the ``wordllama`` wheel (its 256-dimension "l2_supercat" token embeddings and tokenizer:
16 MB, numpy only, no torch). Nothing is downloaded at run time: the files are opened from the
installed package, never through the library's loader (which looks for the tokenizer in a
folder the wheel does not have and then goes to the network).

Off unless ``settings.SOUK_RECOMMENDATION_EMBEDDINGS`` is true. Vectors are stored per tenant
(``ProductEmbedding``), written when the catalogue says products changed."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from core.catalog.models import Product

DIMENSIONS = 256
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
DESCRIPTION_CHARS = 600


def embeddings_enabled() -> bool:
    return bool(settings.SOUK_RECOMMENDATION_EMBEDDINGS)


@lru_cache(maxsize=1)
def _encoder() -> Any:
    """The model, loaded once per process from the installed package's own files."""
    import wordllama  # type: ignore[import-untyped]
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference  # type: ignore[import-untyped]

    root = Path(wordllama.__file__).parent
    tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
    with safe_open(str(root / WEIGHTS), framework="np", device="cpu") as weights:
        table = weights.get_tensor("embedding.weight")
    return WordLlamaInference(table, tokenizer, binary=False)


def embed_texts(texts: list[str]) -> NDArray[np.float32]:
    """One unit-length float32 row per text."""
    import numpy as np

    vectors = _encoder().embed(texts, norm=True)
    return np.asarray(vectors, dtype=np.float32)


def product_text(product: Product) -> str:
    tags = " ".join(str(tag) for tag in product.tags or [])
    category = product.category.name if product.category_id and product.category else ""
    parts = [product.name, product.summary, tags, category, product.description[:DESCRIPTION_CHARS]]
    return ". ".join(part for part in parts if part)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def to_bytes(vector: NDArray[np.float32]) -> bytes:
    return vector.astype("<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> NDArray[np.float32]:
    import numpy as np

    return np.frombuffer(bytes(data), dtype="<f4")
