"""An activation checkpoint against the run: refused when the run reads other activations or another model.

The header (:mod:`meta_lightning.checkpoints`) carries what the meta-model was trained on: the input-model
fingerprint, the resolved layers and positions, and the meta-model fingerprint. ``test``/``ask`` with other
settings would otherwise test on the wrong vectors (silently, or with a size-mismatch traceback).
"""
from __future__ import annotations

from typing import Optional

from meta_lightning.checkpoints import header
from meta_lightning.errors import ConfigError


def trained_on(ckpt: dict) -> dict:
    """What the checkpoint's model read: ``input_fingerprint``, ``layers``, ``positions`` (absent in format 1)."""
    return header(ckpt).get("input") or {}


def check_capture(ckpt: dict, layers: Optional[list[int]], positions: str) -> None:
    """Refuse a run whose resolved layers or positions differ from the checkpoint's, naming the field."""
    was = trained_on(ckpt)
    if "layers" in was and layers is not None and list(was["layers"]) != list(layers):
        raise ConfigError("data.capture.layers", f"the checkpoint was trained on layers {list(was['layers'])}, this "
                          f"run reads {list(layers)}", "Use the checkpoint's layers, or train a new meta-model")
    if "positions" in was and was["positions"] != positions:
        raise ConfigError("data.capture.positions", f"the checkpoint was trained on positions {was['positions']!r}, "
                          f"this run reads {positions!r}", "Use the checkpoint's positions, or train a new meta-model")


def check_models(ckpt: dict, input_fingerprint: Optional[str], meta_fingerprint: Optional[str]) -> None:
    """Refuse a checkpoint trained with another input- or meta-model (their fingerprints differ)."""
    was, meta = trained_on(ckpt), header(ckpt)
    if was.get("input_fingerprint") and input_fingerprint and was["input_fingerprint"] != input_fingerprint:
        raise ConfigError("data.input_model", "the checkpoint was trained on another input-model (fingerprint "
                          f"{was['input_fingerprint'][:12]}, this run {input_fingerprint[:12]})",
                          "Use the input-model the checkpoint was trained on")
    if meta.get("meta_fingerprint") and meta_fingerprint and meta["meta_fingerprint"] != meta_fingerprint:
        raise ConfigError("model.meta_model", "the checkpoint was trained from another meta-model (fingerprint "
                          f"{meta['meta_fingerprint'][:12]}, this run {meta_fingerprint[:12]})",
                          "Use the meta-model the checkpoint was trained from")
