"""Write tiny models to disk in the formats the loader reads: HF folders, a hub cache, remote code."""
from __future__ import annotations

import shutil
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM

from tests.helpers.tiny import byte_model, byte_tokenizer, tiny_model, tiny_tokenizer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def save_tiny(folder: Path, arch: str = "llama", seed: int = 0) -> Path:
    tiny_model(arch, seed).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


def save_byte_model(folder: Path, arch: str = "llama", seed: int = 0, **config) -> Path:
    """A tiny model that reads any text, saved as a local HF folder (input- or meta-model in CLI tests)."""
    byte_model(arch, seed, **config).save_pretrained(folder)
    byte_tokenizer().save_pretrained(folder)
    return folder


def save_internlm2(folder: Path, seed: int = 0) -> Path:
    shutil.copytree(FIXTURES / "internlm2_tiny", folder)
    config = AutoConfig.from_pretrained(folder, trust_remote_code=True)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, trust_remote_code=True)
    model.save_pretrained(folder)
    for py in (FIXTURES / "internlm2_tiny").glob("*.py"):  # keep the code beside the weights, as on the hub
        shutil.copy(py, folder / py.name)
    tiny_tokenizer().save_pretrained(folder)
    return folder


def hub_cache_entry(cache: Path, repo_id: str, source: Path, commit: str = "a" * 40) -> Path:
    """Lay ``source`` out as huggingface_hub's cache does after a download of ``repo_id``."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    shutil.copytree(source, snapshot)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
