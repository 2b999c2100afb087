"""Checkpoint files of both sides: one header, written and read here, checked before any model loads.

Every checkpoint ``fit`` writes carries ``checkpoint["meta_lightning"]``: the side that wrote it (``kind``:
activations or weights), its format, and what that side needs to rebuild and check the model. A file that
is missing, truncated, someone else's, of the other side or of an older format is one line naming
``--ckpt_path``, never a traceback from inside torch.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from meta_lightning.errors import ConfigError

Kind = Literal["activations", "weights"]
HEADER = "meta_lightning"
FORMATS: dict[str, int] = {"activations": 4, "weights": 3}
"""The format each side writes and reads. activations 4: ``vectors`` is a data option and the model no longer
keeps ``eval_behaviors``; weights 3: the header is shared with the activation side."""
READS = {"activations": "an input-model's activations", "weights": "compiled models' weights"}
LIGHTNING_KEYWORDS = ("last", "best", "hpc", "registry")
"""``--ckpt_path`` values that Lightning resolves itself: no file to read up front."""


def write_header(checkpoint: dict, kind: Kind, **fields) -> None:
    """Stamp ``checkpoint`` (Lightning's dict, in ``on_save_checkpoint``) with its side, format and ``fields``."""
    checkpoint[HEADER] = {"kind": kind, "format": FORMATS[kind], **fields}


def header(checkpoint: dict) -> dict:
    """What the side stored in the header (``write_header``'s fields)."""
    return checkpoint.get(HEADER) or {}


def read_checkpoint(path, kind: Kind, field: str = "--ckpt_path") -> dict:
    """The checkpoint at ``path``, checked: ours, of side ``kind``, of the current format; else one line."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise ConfigError(field, f"no such file: {path}", "Point it at a .ckpt written by fit (runs/.../checkpoints/)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a (complete) checkpoint
        raise ConfigError(field, f"cannot read {path}: not a checkpoint, or truncated ({type(e).__name__})",
                          "Point it at a complete .ckpt written by fit") from e
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ConfigError(field, f"{path} was not written by meta_lightning", "Use a checkpoint from `fit`")
    if HEADER not in ckpt:
        if "weights_model" in ckpt:  # weights format 2 and before kept their own header
            raise ConfigError(field, f"{path} was written by an older meta_lightning (weights checkpoint format "
                              f"{ckpt['weights_model'].get('format', 1)}, this one reads {FORMATS['weights']})",
                              "Train it again with this version (`fit`)")
        raise ConfigError(field, f"{path} was not written by meta_lightning", "Use a checkpoint from `fit`")
    saved = ckpt[HEADER]
    was = saved.get("kind", "activations")  # activation checkpoints before format 4 did not name their side
    if was != kind:
        raise ConfigError(field, f"{path} is a meta-model that reads {READS.get(was, was)}, and this run reads "
                          f"{READS[kind]}", f"Use it with a config of kind: {was}")
    version = saved.get("format", 1)
    if version != FORMATS[kind]:
        age = "an older" if version < FORMATS[kind] else "a newer"
        raise ConfigError(field, f"{path} was written by {age} meta_lightning (checkpoint format {version}, this one "
                          f"reads {FORMATS[kind]})", "Train it again with this version (`fit`)")
    return ckpt


def check_same_options(saved: dict, given: dict, prefix: str = "model") -> None:
    """Refuse a run whose model options differ from the checkpoint's (Lightning would silently use the
    checkpoint's), naming the first field that differs. ``saved``: the checkpoint's hyper-parameters."""
    given = plain(given)
    for key, value in saved.items():
        if key.startswith("_") or key not in given:
            continue
        field = f"{prefix}.{key}"
        if isinstance(value, dict) and isinstance(given[key], dict):
            check_same_options(value, given[key], field)
        elif plain(value) != plain(given[key]):
            raise ConfigError(field, f"the checkpoint was trained with {plain(value)!r}, this run asks for "
                              f"{plain(given[key])!r}", "Drop the option (the checkpoint's value is its own), or "
                              "train a new model with it")


def plain(value):
    """A parsed config value as plain dicts and lists: jsonargparse Namespaces and dataclasses become dicts,
    tuples become lists (YAML gives lists, defaults are tuples), so the two compare equal."""
    from dataclasses import asdict, is_dataclass

    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return [plain(v) for v in value] if isinstance(value, (list, tuple)) else value
