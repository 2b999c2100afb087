"""Meta-models that read weights: random RASP programs compiled by Tracr, decompiled from their parameters.

The sibling of the activation side (Langosco et al., "Towards Meta-Models for Automated Interpretability"):
``programs`` samples RASP programs as plain data, ``tokens`` writes them as token sequences, ``compile`` turns
them into checked Tracr weights. Tracr, JAX and Haiku come with the optional extra
``pip install -e ".[weights]"``; the rest of meta_lightning never imports them.
"""
from __future__ import annotations

from meta_lightning.errors import ConfigError

INSTALL = 'pip install -e ".[weights]"'


def tracr_available() -> bool:
    try:
        import tracr  # noqa: F401
    except ImportError:
        return False
    return True


def require_tracr(field: str = "weights") -> None:
    """A one-line error naming the install command where Tracr (the ``weights`` extra) is missing."""
    if not tracr_available():
        raise ConfigError(field, "compiling RASP programs needs Tracr, JAX and Haiku, which are not installed",
                          f"Install the extra: {INSTALL}")
