"""Which hidden states to read, named the way researchers think of them.

Layer index ``L`` means ``output_hidden_states[L]``: 0 is the input to the first block (the embeddings),
``L`` in 1..n-1 is the output of block ``L``, and ``n`` is the final output (after the final norm, when the
model has one).

Accepted forms, alone or in a list:
- an int: an index; negative counts from the end (-1 is n);
- a float in (0, 1], or a string like ``"50%"``: a fraction of depth, rounded to the nearest index;
- ``"every:K"``, ``"every:K:START"`` or ``"every:K:START:END"``: every K-th index from START (default K)
  to END (default n), both inclusive; START and END may be fractions. The Meta-Models paper reads every
  4th layer of the second half: ``"every:4:0.5"``;
- ``"all"``: 0..n.
"""
from __future__ import annotations

from typing import Sequence, Union

from meta_lightning.errors import ConfigError

LayerSpec = Union[int, float, str, Sequence[Union[int, float, str]]]

_FIX = "Use ints (negative from the end), fractions like 0.5 or '50%', 'every:K[:START[:END]]' or 'all'"


def _index(value: Union[int, float, str], num_layers: int, field: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else (float(text) if "." in text else int(text))
        except ValueError:
            raise ConfigError(field, f"cannot read layer {value!r}", _FIX) from None
    if isinstance(value, bool):
        raise ConfigError(field, f"layer {value!r} is a boolean", _FIX)
    if isinstance(value, float):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(field, f"fraction {value} is outside [0, 1]", _FIX)
        return int(round(value * num_layers))
    index = value + num_layers + 1 if value < 0 else value
    if not 0 <= index <= num_layers:
        raise ConfigError(field, f"layer {value} is out of range for a model with {num_layers} layers",
                          f"Use 0..{num_layers} (0 = embeddings, {num_layers} = final output) or -{num_layers + 1}..-1")
    return index


def _every(text: str, num_layers: int, field: str) -> list[int]:
    parts = text.split(":")[1:]
    if not 1 <= len(parts) <= 3:
        raise ConfigError(field, f"cannot read {text!r}", _FIX)
    try:
        step = int(parts[0])
    except ValueError:
        raise ConfigError(field, f"step in {text!r} is not an integer", _FIX) from None
    if step < 1:
        raise ConfigError(field, f"step in {text!r} must be at least 1", _FIX)
    start = _index(parts[1], num_layers, field) if len(parts) > 1 else step
    end = _index(parts[2], num_layers, field) if len(parts) > 2 else num_layers
    return list(range(start, end + 1, step))


def resolve_layers(spec: LayerSpec, num_layers: int, field: str = "layers") -> list[int]:
    """Sorted, de-duplicated hidden-state indices for a model with ``num_layers`` blocks."""
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if not items:
        raise ConfigError(field, "no layers given", _FIX)
    indices: set[int] = set()
    for item in items:
        if isinstance(item, str) and item.strip() == "all":
            indices.update(range(num_layers + 1))
        elif isinstance(item, str) and item.strip().startswith("every"):
            indices.update(_every(item.strip(), num_layers, field))
        else:
            indices.add(_index(item, num_layers, field))
    if not indices:
        raise ConfigError(field, f"{spec!r} selects no layer of a model with {num_layers} layers", _FIX)
    return sorted(indices)
