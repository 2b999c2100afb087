"""The config record that names a model: what to load and how."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class ArchitectureOverride:
    """Module paths for an architecture the built-in table gets wrong or does not know.

    Paths are dotted attribute paths from the loaded model, e.g. ``model.layers``.
    """

    layers: str
    """Dotted path to the ``nn.ModuleList`` of transformer blocks."""
    embeddings: Optional[str] = None
    """Dotted path to the token-embedding module (default: ``get_input_embeddings()``)."""
    final_norm: Optional[str] = None
    """Dotted path to the norm applied after the last block, or null when the model has none."""


@dataclass
class ModelSpec:
    """Which model to load, and how.

    ``name`` is resolved in this order: a built-in alias (e.g. ``smollm2-135m-instruct``), a ``.gguf`` file,
    a local Hugging Face folder, then a Hugging Face hub id (``org/name``).
    """

    name: str = "smollm2-135m-instruct"
    """Alias, ``.gguf`` file, local HF folder, or hub id."""
    revision: Optional[str] = None
    """Hub revision (branch, tag or commit) for hub ids; ignored for local files."""
    trust_remote_code: bool = False
    """Run the model repository's own Python code. Off unless you trust the repository."""
    dtype: str = "auto"
    """``auto`` (float32 on CPU, bfloat16 on CUDA), ``float32``, ``bfloat16`` or ``float16``."""
    cache_dir: Optional[str] = None
    """Where converted models and digests are kept (default: ``$META_LIGHTNING_CACHE`` or ``~/.cache/meta_lightning``)."""
    architecture: Optional[ArchitectureOverride] = field(default=None)
    """Module paths to use instead of the built-in architecture table."""
