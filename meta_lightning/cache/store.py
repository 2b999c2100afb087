"""The on-disk activation cache: one folder per key, safetensors shards, an atomic completion marker.

Layout of an entry ``<root>/activations/<digest>/``:
- ``manifest.json``: the canonical key, so a folder can be checked against the key it claims;
- ``shard-00000.safetensors`` ...: tensors ``a<i>`` ([layers, positions, d]) for one range of examples,
  written under a temporary name and renamed;
- ``progress.json``: size and SHA-256 of every finished shard, rewritten atomically after each one;
- ``complete.json``: the same plus the example count, written last and atomically. Without it the entry is
  unfinished, and the next fill keeps its verified shards and captures only the rest.

A shard whose size, hash or header does not match its record is moved to ``<root>/quarantine/``, with a
message, and recomputed. It is never read into a result.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from meta_lightning.cache.key import CacheKey
from meta_lightning.errors import MetaLightningError
from meta_lightning.paths import atomic_write_json, file_digest, file_lock

Capture = Callable[[Sequence[int]], list[torch.Tensor]]
"""Captures activations for the given example indices, in order."""


class CacheWriteError(MetaLightningError):
    """The cache folder cannot be written (full disk, read-only, no permission)."""


def _read_json(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass
class FillReport:
    reused_shards: int = 0
    written_shards: int = 0
    quarantined: int = 0
    captured_examples: int = 0


class CacheEntry:
    """The cache entry of one key. Use :meth:`fill` to load it or make it."""

    def __init__(self, root: Path, key: CacheKey, shard_bytes: int):
        self.root = root
        self.key = key
        self.digest = key.digest()
        self.path = root / "activations" / self.digest
        self.shard_bytes = shard_bytes
        self.report = FillReport()

    @property
    def marker(self) -> Path:
        return self.path / "complete.json"

    def _manifest_matches(self) -> bool:
        return _read_json(self.path / "manifest.json") == self.key.as_dict()

    def is_complete(self) -> bool:
        return self.marker.is_file() and self._manifest_matches()

    def _quarantine(self, path: Path, why: str) -> None:
        target = self.root / "quarantine" / f"{self.digest}-{time.time_ns()}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        print(f"cache: {path} is {why}; moved to {target}, recomputing", flush=True)
        os.replace(path, target)
        self.report.quarantined += 1

    def _span(self, path: Path, record: Optional[dict]) -> Optional[tuple[int, int]]:
        """The example range of a shard that matches its record and belongs to this key, else None."""
        try:
            if record is None or path.stat().st_size != record["bytes"] or file_digest(path) != record["sha256"]:
                return None
            with safe_open(str(path), "pt") as f:
                meta = f.metadata() or {}
            return (int(meta["start"]), int(meta["stop"])) if meta.get("key") == self.digest else None
        except (OSError, ValueError, KeyError, SafetensorError):
            return None

    def _verified(self, records: dict) -> dict[str, tuple[int, int]]:
        """Spans of the shards on disk that match ``records``; every other shard goes to quarantine."""
        spans = {}
        for path in sorted(self.path.glob("shard-*.safetensors")):
            span = self._span(path, records.get(path.name))
            if span is None:
                self._quarantine(path, "a truncated, altered or unrecorded shard")
            else:
                spans[path.name] = span
        return spans

    def _read(self, spans: dict[str, tuple[int, int]], out: list) -> None:
        for name, (a, b) in spans.items():
            tensors = load_file(str(self.path / name))
            for i in range(a, b):
                out[i] = tensors[f"a{i}"]

    def load(self) -> Optional[list[torch.Tensor]]:
        """All activations of a complete, intact entry; otherwise None, after quarantining any damage."""
        if not self.marker.is_file():
            return None
        if not self._manifest_matches():
            self._quarantine(self.path, "an entry whose manifest does not match its key")
            return None
        marker = _read_json(self.marker) or {}
        records = marker.get("shards", {})
        spans = self._verified(records)
        out: list[Optional[torch.Tensor]] = [None] * int(marker.get("examples", 0))
        if spans.keys() != records.keys() or not out:
            self.marker.unlink(missing_ok=True)
            return None
        self._read(spans, out)
        return out  # type: ignore[return-value]

    def fill(self, num_examples: int, capture: Capture, bytes_per_example: int) -> list[torch.Tensor]:
        """Load the entry, or capture what is missing (resuming from verified shards) and complete it.

        One process at a time writes an entry (a file lock); another one waits, then reads the result.
        """
        cached = self.load()
        if cached is not None and len(cached) == num_examples:
            self.report.reused_shards = len(list(self.path.glob("shard-*.safetensors")))
            return cached
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            with file_lock(self.path.with_name(self.digest + ".lock")):
                cached = self.load()  # another process may have finished it while we waited
                if cached is not None and len(cached) == num_examples:
                    return cached
                self.marker.unlink(missing_ok=True)
                if (self.path / "manifest.json").exists() and not self._manifest_matches():
                    self._quarantine(self.path / "manifest.json", "a manifest that does not match its key")
                atomic_write_json(self.path / "manifest.json", self.key.as_dict())
                return self._fill_locked(num_examples, capture, bytes_per_example)
        except OSError as e:
            raise CacheWriteError(f"cache_dir: cannot write {e.filename or self.path} ({e.strerror or e}). "
                                  "Free space there or set another cache_dir; no entry was marked complete") from e

    def _fill_locked(self, num_examples: int, capture: Capture, bytes_per_example: int) -> list[torch.Tensor]:
        records = (_read_json(self.path / "progress.json") or {}).get("shards", {})
        spans = self._verified(records)
        spans = {n: s for n, s in spans.items() if s[1] <= num_examples}
        records = {n: records[n] for n in spans}
        out: list[Optional[torch.Tensor]] = [None] * num_examples
        self._read(spans, out)
        self.report.reused_shards += len(spans)
        per_shard = max(1, self.shard_bytes // max(1, bytes_per_example))
        index, i = 0, 0
        while i < num_examples:
            if out[i] is not None:
                i += 1
                continue
            stop = i
            while stop < num_examples and out[stop] is None and stop - i < per_shard:
                stop += 1
            tensors = capture(list(range(i, stop)))
            out[i:stop] = tensors
            while (self.path / f"shard-{index:05d}.safetensors").exists():
                index += 1
            name = f"shard-{index:05d}.safetensors"
            records[name] = self._write_shard(name, i, tensors)
            atomic_write_json(self.path / "progress.json", {"shards": records})
            self.report.captured_examples += stop - i
            i = stop
        atomic_write_json(self.marker, {"examples": num_examples, "shards": records})
        return out  # type: ignore[return-value]

    def _write_shard(self, name: str, start: int, tensors: list[torch.Tensor]) -> dict:
        final, tmp = self.path / name, self.path / f".{name}.tmp"
        payload = {f"a{start + k}": t.contiguous() for k, t in enumerate(tensors)}
        save_file(payload, str(tmp), metadata={"key": self.digest, "start": str(start), "stop": str(start + len(tensors))})
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
        self.report.written_shards += 1
        return {"bytes": final.stat().st_size, "sha256": file_digest(final)}


class ActivationCache:
    """A folder of cache entries; ``shard_bytes`` bounds the size of each shard."""

    def __init__(self, root: os.PathLike | str, shard_bytes: int = 256 << 20):
        self.root = Path(root)
        self.shard_bytes = shard_bytes

    def entry(self, key: CacheKey) -> CacheEntry:
        return CacheEntry(self.root, key, self.shard_bytes)

    def clean(self, everything: bool = False) -> list[Path]:
        """Remove unfinished entries and quarantined files; with ``everything``, complete entries too."""
        removed = []
        activations = self.root / "activations"
        for path in sorted(activations.iterdir()) if activations.exists() else []:
            if path.is_dir() and (everything or not (path / "complete.json").is_file()):
                shutil.rmtree(path)
                removed.append(path)
        if (self.root / "quarantine").exists():
            shutil.rmtree(self.root / "quarantine")
            removed.append(self.root / "quarantine")
        return removed
