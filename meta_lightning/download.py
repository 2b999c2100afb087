"""``python -m meta_lightning download``: make models ready to load offline, and report what was made."""
from __future__ import annotations

import time
from typing import Optional

from meta_lightning.models import DEFAULT_MODEL, ModelSpec, load_model


def download(names: Optional[list[str]] = None, cache_dir: Optional[str] = None, trust_remote_code: bool = False) -> list[dict]:
    """Fetch or convert each model into the cache, load it once, and print its folder and fingerprint.

    Args:
        names: aliases, .gguf files, local folders or hub ids (default: the embedded default model).
        cache_dir: cache folder (default: $META_LIGHTNING_CACHE or ~/.cache/meta_lightning).
        trust_remote_code: allow models whose repository ships its own code.
    """
    report = []
    for name in names or [DEFAULT_MODEL]:
        start = time.perf_counter()
        loaded = load_model(ModelSpec(name=name, cache_dir=cache_dir, trust_remote_code=trust_remote_code), causal_lm=False)
        seconds = time.perf_counter() - start
        row = {"name": name, "folder": str(loaded.folder), "fingerprint": loaded.fingerprint,
               "architecture": type(loaded.model).__name__, "layers": loaded.parts.num_layers,
               "hidden_size": loaded.parts.hidden_size, "seconds": round(seconds, 2)}
        print(f"{name}: {row['architecture']} ({row['layers']} layers, d={row['hidden_size']}) ready in {row['folder']} "
              f"[fingerprint {loaded.fingerprint[:16]}, {seconds:.1f}s]", flush=True)
        report.append(row)
    return report
