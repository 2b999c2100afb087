"""Content fingerprints: a model is identified by its weights, its tokenizer and its chat template.

Names and paths are not identity: the same folder can be overwritten, and the same weights can live
in two places. The activation cache is keyed on these fingerprints.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

import torch

from meta_lightning.paths import file_digest

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def weight_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    safetensors = [p for p in files if p.suffix == ".safetensors"]
    return safetensors or files  # transformers prefers safetensors when both are present


def folder_weights_digest(folder: Path, cache_dir: Optional[Path] = None) -> str:
    h = hashlib.sha256()
    for path in weight_files(folder):
        h.update(f"{path.name}:{file_digest(path, cache_dir)}\n".encode())
    return h.hexdigest()


def state_dict_digest(model: torch.nn.Module) -> str:
    """Digest of the tensors themselves, for models that exist only in memory."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}\n".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def tokenizer_digest(tokenizer) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        vocab = backend.to_str()
    else:
        vocab = json.dumps(sorted(tokenizer.get_vocab().items()))
    h = hashlib.sha256(vocab.encode())
    h.update(json.dumps(sorted(map(str, tokenizer.all_special_tokens))).encode())
    return h.hexdigest()


def model_fingerprint(weights_digest: str, tokenizer) -> str:
    record = {
        "weights": weights_digest,
        "tokenizer": tokenizer_digest(tokenizer),
        "chat_template": getattr(tokenizer, "chat_template", None) or "",
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
