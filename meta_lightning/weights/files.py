"""Files the weights side reads and writes: compiled models' parameters (.npz) and RASP programs (text).

A params file is an ``.npz`` whose keys are ``<module>/<parameter>`` (Tracr's Haiku names, e.g.
``transformer/layer_0/attn/query/w``). A program file holds the code :func:`describe` prints, one op a line:
``v1 = categorical(Map(inc, v0))``. Both are checked on reading, and a bad one is a one-line error that
names the field and the line.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from meta_lightning.errors import ConfigError
from meta_lightning.weights.layout import dims_of, shapes
from meta_lightning.weights.programs import Op, Program, check_program, functions


def flatten(params: dict) -> np.ndarray:
    """Every parameter in a fixed order (sorted module names, then parameter names), as one float32 vector:
    the meta-model's input."""
    return np.concatenate([np.asarray(params[module][name], dtype=np.float32).ravel()
                           for module in sorted(params) for name in sorted(params[module])])


def save_params(params: dict, path: Path) -> None:
    """Tracr's nested params {module: {name: array}} as one .npz (written whole or not at all)."""
    flat = {f"{module}/{name}": np.asarray(value) for module, d in params.items() for name, value in d.items()}
    tmp = Path(path).with_suffix(".tmp.npz")
    np.savez(tmp, **flat)
    tmp.replace(path)


def load_params(path: str, field: str = "--params") -> dict:
    """A params file as {module: {name: float32 array}}, refused unless it has Tracr's embeddings."""
    if not Path(path).is_file():
        raise ConfigError(field, f"no such file: {path}", "Give an .npz written by meta_lightning.weights.files.save_params")
    try:
        with np.load(path, allow_pickle=False) as z:
            flat = {k: np.asarray(z[k], dtype=np.float32) for k in z.files}
    except (OSError, ValueError) as e:
        raise ConfigError(field, f"cannot read {path} as .npz ({type(e).__name__})",
                          "Give an .npz of the compiled model's parameters") from e
    params: dict[str, dict] = {}
    for key, value in flat.items():
        module, _, name = key.rpartition("/")
        if not module:
            raise ConfigError(field, f"key {key!r} is not <module>/<parameter>", "Save with save_params")
        params.setdefault(module, {})[name] = value
    for needed in ("token_embed", "pos_embed"):
        if "embeddings" not in params.get(needed, {}):
            raise ConfigError(field, f"{path} has no {needed}/embeddings: not a Tracr-compiled model",
                              "Give the parameters of a model compiled by Tracr")
    check_layout(params, field, str(path))
    return params


def check_layout(params: dict, field: str = "--params", path: str = "the model") -> None:
    """Refuse parameters whose names or shapes are not those of a Tracr-compiled model (see :mod:`.layout`)."""
    try:
        dims = dims_of(params)
        want = shapes(dims)
    except (KeyError, IndexError) as e:
        raise ConfigError(field, f"{path} lacks {e.args[0]!r} (or its w): not a Tracr-compiled model",
                          "Give the parameters of a model compiled by Tracr") from e
    have = {f"{m}/{n}": tuple(np.shape(v)) for m, d in params.items() for n, v in d.items()}
    expected = {f"{m}/{n}": s for m, d in want.items() for n, s in d.items()}
    for key in sorted(set(have) | set(expected)):
        if have.get(key) != expected.get(key):
            problem = (f"has an unexpected {key}" if key not in expected else f"lacks {key}" if key not in have
                       else f"{key} has shape {have[key]}, where a model of {dims.layers} layers and residual width "
                            f"{dims.residual} has {expected[key]}")
            raise ConfigError(field, f"{path} {problem}", "Give the parameters of one model compiled by Tracr, "
                              "saved whole with save_params")


_ARG = r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*"
_FORMS = {
    "map": re.compile(rf"Map\({_ARG},{_ARG}\)$"),
    "sequence_map": re.compile(rf"SequenceMap\({_ARG},{_ARG},{_ARG}\)$"),
    "selector_width": re.compile(rf"SelectorWidth\(Select\({_ARG},{_ARG},{_ARG}\)\)$"),
    "aggregate": re.compile(rf"Aggregate\(Select\({_ARG},{_ARG},{_ARG}\),{_ARG}\)$"),
}


def parse_program(text: str, field: str = "--program") -> Program:
    """The program in ``text`` (the form :func:`describe` writes); a bad line is named with the fix."""
    ops: list[Op] = []
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        match = re.fullmatch(r"v(\d+)\s*=\s*(categorical|numerical)\((.*)\)", line)
        if not match or int(match.group(1)) != len(ops):
            raise ConfigError(f"{field} line {number}", f"cannot read {line!r}",
                              f"Write v{len(ops)} = categorical(Map(inc, tokens)) and the like, numbered from v0")
        body = match.group(3).replace(" ", "")
        kind, found = next(((k, m) for k, form in _FORMS.items() if (m := form.match(body))), (None, None))
        if found is None:
            raise ConfigError(f"{field} line {number}", f"unknown operation in {line!r}",
                              "Use Map, SequenceMap, Aggregate(Select(...), v) or SelectorWidth(Select(...))")
        parts = list(found.groups())
        if kind in ("map", "sequence_map"):
            fn, args = parts[0], parts[1:]
        else:  # Select(keys, queries, comparison)[, values]
            fn, args = parts[2], parts[:2] + parts[3:]
        known = functions(kind)
        if fn not in known:
            what = "function" if kind in ("map", "sequence_map") else "predicate"
            raise ConfigError(f"{field} line {number}", f"unknown {what} {fn!r}", f"Use one of: {', '.join(known)}")
        refs = tuple(int(a[1:]) if re.fullmatch(r"v\d+", a) else a for a in args)
        ops.append(Op(kind, fn, refs, match.group(2) == "numerical"))
    try:
        check_program(tuple(ops))
    except ValueError as e:
        raise ConfigError(field, str(e), "Read only tokens, indices or earlier ops") from e
    return tuple(ops)
