"""Cache keys: a hash of a canonical JSON of everything that determines the activations.

Any field that changes the captured numbers belongs here: the input-model fingerprint, the behaviour recipe
(name, version, parameters, seed), the split, the layers, the positions and the dtype. Leaving one out would
let a changed run silently reuse stale activations.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT_VERSION = 1
"""Bump when the on-disk layout changes; old entries then miss instead of being misread."""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class CacheKey:
    model_fingerprint: str
    recipe: dict = field(default_factory=dict)
    """Behaviour name, its version, its parameters and its seed."""
    split: str = "train"
    layers: tuple = ()
    positions: str = "last"
    dtype: str = "float32"

    def as_dict(self) -> dict:
        record = asdict(self)
        record["layers"] = list(self.layers)
        record["format_version"] = FORMAT_VERSION
        return record

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.as_dict()).encode()).hexdigest()[:32]
