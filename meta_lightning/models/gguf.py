"""Convert a GGUF file once into a cached safetensors folder that reloads in well under a second."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from meta_lightning.errors import ConfigError
from meta_lightning.paths import atomic_write_json, file_digest, file_lock, staging_dir

log = logging.getLogger(__name__)
COMPLETE_MARKER = "meta_lightning_conversion.json"


def converted_folder(gguf_path: Path, cache_dir: Path) -> Path:
    digest = file_digest(gguf_path, cache_dir)
    return cache_dir / "models" / f"{gguf_path.stem}-{digest[:16]}"


def is_converted(folder: Path) -> bool:
    return (folder / COMPLETE_MARKER).is_file()


def convert_gguf(gguf_path: Path, cache_dir: Path, field: str = "model.name") -> Path:
    """Return the safetensors folder for ``gguf_path``, converting it first if no finished one exists.

    Safe against concurrent processes (a file lock) and against interruption (the folder appears in
    one rename, with its completion marker already inside).
    """
    target = converted_folder(gguf_path, cache_dir)
    if is_converted(target):
        return target
    with file_lock(target.with_name(target.name + ".lock")):
        if is_converted(target):
            return target
        try:
            import gguf  # noqa: F401  (transformers needs it to read the file)
        except ImportError as e:
            raise ConfigError(field, f"reading {gguf_path.name} needs the gguf package", "pip install gguf accelerate") from e
        from transformers import AutoModelForCausalLM, AutoTokenizer

        print(f"Converting {gguf_path.name} to safetensors in {target} (once; about 20 s)...", flush=True)
        with staging_dir(target) as tmp:
            try:
                tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
                loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
            except (OSError, ValueError, KeyError, RuntimeError) as e:
                raise ConfigError(field, f"could not read GGUF file {gguf_path} ({type(e).__name__}: {str(e).splitlines()[0]})",
                                  "Check that it is a complete GGUF file of an architecture transformers supports") from e
            # A GGUF-loaded model refuses save_pretrained; a fresh model from its config accepts the same weights.
            clean = AutoModelForCausalLM.from_config(loaded.config, dtype=torch.float32)
            clean.load_state_dict(loaded.state_dict())
            clean.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            atomic_write_json(tmp / COMPLETE_MARKER, {
                "source": str(gguf_path), "source_sha256": file_digest(gguf_path, cache_dir), "dtype": "float32",
            })
    return target


def conversion_record(folder: Path) -> dict:
    return json.loads((folder / COMPLETE_MARKER).read_text())
