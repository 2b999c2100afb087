"""Checkpoints: read and checked before any model loads, and refused when the run reads other activations.

A checkpoint carries what it was trained on (``checkpoint["meta_lightning"]``): the input-model fingerprint,
the resolved layers and positions, and the meta-model fingerprint. ``test``/``ask`` with other settings would
otherwise test on the wrong vectors (silently, or with a size-mismatch traceback).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from meta_lightning.errors import ConfigError

FORMAT = 3
"""3: the meta-model's options in groups (injection, projector, prompt, finetune, optimizer)."""
FIELD = "--ckpt_path"


def read_checkpoint(path) -> dict:
    """The checkpoint at ``path``, or a one-line error: missing, unreadable (random bytes, truncated), or not ours."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(FIELD, f"no such file: {path}", "Point it at a .ckpt written by fit (runs/.../checkpoints/)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a (complete) checkpoint
        raise ConfigError(FIELD, f"cannot read {path}: not a checkpoint, or truncated ({type(e).__name__})",
                          "Point it at a complete .ckpt written by fit") from e
    if not isinstance(ckpt, dict) or "meta_lightning" not in ckpt or "state_dict" not in ckpt:
        raise ConfigError(FIELD, f"{path} was not written by meta_lightning", "Use a checkpoint from `fit`")
    if ckpt["meta_lightning"].get("format", 1) < FORMAT:
        raise ConfigError(FIELD, f"{path} was written by an older meta_lightning (checkpoint format "
                          f"{ckpt['meta_lightning'].get('format', 1)}, options not yet grouped)",
                          "Train it again with this version (`fit`)")
    return ckpt


def trained_on(ckpt: dict) -> dict:
    """What the checkpoint's model read: ``input_fingerprint``, ``layers``, ``positions`` (absent in format 1)."""
    return ckpt["meta_lightning"].get("input") or {}


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
    was, meta = trained_on(ckpt), ckpt["meta_lightning"]
    if was.get("input_fingerprint") and input_fingerprint and was["input_fingerprint"] != input_fingerprint:
        raise ConfigError("data.input_model", "the checkpoint was trained on another input-model (fingerprint "
                          f"{was['input_fingerprint'][:12]}, this run {input_fingerprint[:12]})",
                          "Use the input-model the checkpoint was trained on")
    if meta.get("meta_fingerprint") and meta_fingerprint and meta["meta_fingerprint"] != meta_fingerprint:
        raise ConfigError("model.meta_model", "the checkpoint was trained from another meta-model (fingerprint "
                          f"{meta['meta_fingerprint'][:12]}, this run {meta_fingerprint[:12]})",
                          "Use the meta-model the checkpoint was trained from")
