"""Programs to weights with Tracr, checked against the RASP evaluator, and the weights as one flat vector.

Stock Tracr spends most of a compile in Haiku's dummy forward pass (``forward.init``), which it runs only to
learn the parameter shapes and then overwrites every transformer weight, and then copies every parameter into
a JAX array. :func:`patched_assembly` takes the shapes from the model config Tracr chose (no model is run or
traced), fills in the two embedding matrices Tracr builds from its vector spaces and keeps the parameters in
NumPy, so they are identical (a test compares them) at about a sixteenth of the cost (BENCHMARKS.md).
"""
from __future__ import annotations

import contextlib
import itertools
import random
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from meta_lightning.errors import ConfigError
from meta_lightning.weights import require_tracr
from meta_lightning.weights.files import flatten, parse_program
from meta_lightning.weights.forward import residual
from meta_lightning.weights.layout import Dims, shapes
from meta_lightning.weights.programs import KEY_PREDICATES, LINEAR, MAPS, MAX_SEQ_LEN, SEQUENCE_MAPS, VOCAB, Program, Ref

BOS = "BOS"
_patch_lock = threading.Lock()


def to_rasp(program: Program, labels: Optional[Sequence[str]] = None):
    """The program as a Tracr RASP expression (its output op); ``labels`` name its ops (default: Tracr's
    ``map_1``, ``aggregate_2``...). Tracr orders the residual stream, attention heads and MLP units of one layer
    by label, so labels decide how parallel ops are laid out."""
    require_tracr()
    from tracr.rasp import rasp

    built: list = []

    def sop(ref: Ref):
        return getattr(rasp, ref) if isinstance(ref, str) else built[ref]

    def select(keys, queries, name: str):
        return rasp.Select(keys, queries, KEY_PREDICATES.get(name) or rasp.Comparison[name])

    for op in program:
        a = [sop(r) for r in op.args]
        if op.kind == "map":  # simplify=False: two maps stay two layers, as the program says
            expr = rasp.Map(MAPS[op.fn], a[0], simplify=False)
        elif op.kind == "sequence_map" and op.numerical:  # numerical values combine linearly only
            expr = rasp.LinearSequenceMap(a[0], a[1], *LINEAR[op.fn])
        elif op.kind == "sequence_map":
            expr = rasp.SequenceMap(SEQUENCE_MAPS[op.fn], a[0], a[1])
        elif op.kind == "selector_width":
            expr = rasp.SelectorWidth(select(a[0], a[1], op.fn))
        else:
            expr = rasp.Aggregate(select(a[0], a[1], op.fn), a[2], default=0 if op.numerical else None)
        expr = rasp.numerical(expr) if op.numerical else rasp.categorical(expr)
        built.append(expr.named(labels[len(built)]) if labels else expr)
    return built[-1]


@contextlib.contextmanager
def patched_assembly(fast: bool = True):
    """Record the vector spaces Tracr embeds with (yields the list of calls); with ``fast``, Tracr's assembly
    gets its parameters without running or tracing the model (see the module docstring)."""
    require_tracr()
    import haiku as hk
    import jax.numpy as jnp
    from tracr.compiler import assemble
    from tracr.craft import bases

    real = (assemble._make_embedding_modules, assemble.assemble_craft_model,
            assemble._get_model_config_and_module_names, assemble.hk, assemble.jnp)
    calls: list[dict] = []
    configs: list = []

    def recording_make(**spaces):
        calls.append(spaces)
        return real[0](**spaces)

    def recording_assemble(craft_model, tokens_space, indices_space, output_space, **kwargs):
        # Tracr's own residual space (assemble_craft_model joins the same four): the embeddings span it.
        residual = bases.join_vector_spaces(craft_model.residual_space, tokens_space, indices_space, output_space)
        calls.append(dict(residual_space=residual, tokens_space=tokens_space, indices_space=indices_space,
                          output_space=output_space))
        return real[1](craft_model=craft_model, tokens_space=tokens_space, indices_space=indices_space,
                       output_space=output_space, **kwargs)

    def recording_config(craft_model):
        out = real[2](craft_model)
        configs.append(out[0])
        return out

    class ShapedInit:
        """Parameters in the shapes of the model config Tracr chose (its layers have equal widths)."""

        def __init__(self, transformed):
            self.apply = transformed.apply

        def init(self, rng, *args):
            config, width = configs[-1], calls[-1]["residual_space"].num_dims
            dims = Dims(config.num_layers, width, config.num_heads * config.key_size, config.mlp_hidden_size)
            params = {k: {p: np.zeros(s, np.float32) for p, s in d.items()} for k, d in shapes(dims).items()}
            real[0](**calls[-1])  # Tracr's embedding matrices, recorded by Haiku.Embed: the two that init
            for name, matrix in haiku.embeddings.items():  # would return; every other parameter it overwrites
                params[name]["embeddings"] = matrix
            return params

    class Haiku:
        """``hk`` for the assembly: the embedding modules' matrices recorded instead of built (Haiku would
        compile a JAX op for each new residual width), and ``init`` from :class:`ShapedInit`."""

        def __init__(self):
            self.embeddings: dict[str, np.ndarray] = {}

        def __getattr__(self, name):
            return getattr(hk, name)

        def Embed(self, embedding_matrix, name):  # noqa: N802 (Haiku's name)
            self.embeddings[name] = np.asarray(embedding_matrix, dtype=np.float32)

        def to_module(self, f):
            return lambda: None

        def without_apply_rng(self, f):
            return ShapedInit(hk.without_apply_rng(f))

    class Numpy:
        """``jnp`` for the assembly, whose last step copies every parameter into a JAX array: kept in NumPy,
        which every reader here uses (``residual``, ``flatten``)."""

        array = staticmethod(np.asarray)

        def __getattr__(self, name):
            return getattr(jnp, name)

    haiku = Haiku()
    with _patch_lock:
        if fast:
            assemble.assemble_craft_model, assemble._get_model_config_and_module_names = recording_assemble, recording_config
            assemble.hk, assemble.jnp = haiku, Numpy()
        else:
            assemble._make_embedding_modules = recording_make
        try:
            yield calls
        finally:
            (assemble._make_embedding_modules, assemble.assemble_craft_model,
             assemble._get_model_config_and_module_names, assemble.hk, assemble.jnp) = real


@contextlib.contextmanager
def fresh_ids():
    """Tracr labels each op by a process-wide counter and sorts the residual stream by label, so "map_10"
    would come before "map_9": ids from 1 for each program make its weights the same in any process."""
    require_tracr()
    from tracr.rasp import rasp

    outer, rasp.RASPExpr._ids = rasp.RASPExpr._ids, itertools.count(1)
    try:
        yield
    finally:
        rasp.RASPExpr._ids = outer


def compile_expression(output, fast: bool = True):
    """Tracr's assembled model of a RASP expression (vocabulary {0..4}, at most 5 positions, non-causal), with
    ``output_dims``: the residual dimensions its output is read from."""
    from tracr.compiler import compiling

    with patched_assembly(fast) as calls:
        model = compiling.compile_rasp_to_model(output, vocab=set(VOCAB), max_seq_len=MAX_SEQ_LEN, compiler_bos=BOS)
    spaces = calls[-1]
    where = {direction: i for i, direction in enumerate(spaces["residual_space"].basis)}
    model.output_dims = [where[direction] for direction in spaces["output_space"].basis]
    return model


def compile_program(program: Program, fast: bool = True, labels: Optional[Sequence[str]] = None):
    """:func:`compile_expression` of the program's RASP (its ops named ``labels``, if given)."""
    with fresh_ids():
        return compile_expression(to_rasp(program, labels), fast)


def random_labels(rng: random.Random, count: int) -> list[str]:
    """Distinct random op names: whoever wrote a program named its ops, so training sees every layout of the
    ops Tracr places side by side, not only the one its default names give."""
    labels: list[str] = []
    while len(labels) < count:
        label = f"op_{rng.getrandbits(32):08x}"
        labels += [label] if label not in labels else []
    return labels


def random_inputs(rng: random.Random, n: int) -> list[list[int]]:
    return [[rng.choice(sorted(VOCAB)) for _ in range(rng.randint(1, MAX_SEQ_LEN))] for _ in range(n)]


def run(model, inputs: Sequence[Sequence[int]]) -> list[list]:
    """The compiled model's decoded outputs (BOS position dropped), computed in NumPy, one batch per length."""
    outputs: dict[int, list] = {}
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(inputs):
        by_length.setdefault(len(x), []).append(i)
    categorical = model.output_encoder is not None and hasattr(model.output_encoder, "encoding_map")
    for members in by_length.values():
        tokens = np.array([model.input_encoder.encode([BOS] + list(inputs[i])) for i in members])
        read = residual(model.params, model.model_config, tokens)[..., model.output_dims]
        rows = read.argmax(-1) if categorical else read[..., 0]
        for i, row in zip(members, rows.tolist()):
            outputs[i] = list(model.output_encoder.decode(row) if categorical else row)[1:]
    return [outputs[i] for i in range(len(inputs))]


def _same(a, b, tolerance: float) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tolerance
    return a == b


@dataclass
class Check:
    ok: bool
    reason: str = ""


def evaluate(program, inputs: Sequence[Sequence[int]]) -> tuple[list, Check]:
    """The RASP evaluator's outputs on ``inputs`` of a Program or a RASP expression; the Check fails where an
    output is undefined (an aggregate that selects nothing), evaluation fails, or every output is the same
    value (a constant program)."""
    from tracr.rasp import rasp

    expr, outputs = to_rasp(program) if isinstance(program, tuple) else program, []
    for x in inputs:
        try:
            want = rasp.evaluate(expr, list(x))
        except (ValueError, TypeError, ZeroDivisionError) as e:  # e.g. a Select fed an undefined value
            return outputs, Check(False, f"fails on evaluation ({type(e).__name__}: {e}) on {list(x)}")
        if any(w is None for w in want):
            return outputs, Check(False, f"undefined output on {list(x)}")
        outputs.append(want)
    values = {round(float(v), 3) for out in outputs for v in out}
    if len(values) == 1:
        return outputs, Check(False, f"constant: every position of every input gives {outputs[0][0]}")
    return outputs, Check(True)


def check_compiled(program, model, inputs: Sequence[Sequence[int]], tolerance: float = 1e-2) -> Check:
    """Whether the compiled model computes what the RASP evaluator does on ``inputs``, and is not constant."""
    wants, check = evaluate(program, inputs)
    return agrees(model, inputs, wants, tolerance) if check.ok else check


def agrees(model, inputs: Sequence[Sequence[int]], wants: list, tolerance: float = 1e-2) -> Check:
    """Whether the compiled model gives the evaluator's outputs ``wants`` on ``inputs``."""
    for x, got, want in zip(inputs, run(model, inputs), wants):
        if len(got) != len(want) or not all(_same(g, w, tolerance) for g, w in zip(got, want)):
            return Check(False, f"compiled model gives {got} where RASP gives {want} on {list(x)}")
    return Check(True)


def flat_weights(model) -> np.ndarray:
    """The compiled model's parameters as the meta-model reads them (see :func:`files.flatten`)."""
    return flatten(model.params)


def compile_and_check(program: Program, seed: int = 0, checks: int = 32,
                      labels: Optional[Sequence[str]] = None) -> tuple[Optional[object], Check]:
    """(model, Check). The evaluator runs first, so an undefined or constant program costs no compile; the
    model is None where the program was rejected before compiling or Tracr cannot compile it."""
    inputs = random_inputs(random.Random(seed), checks)
    wants, check = evaluate(program, inputs)
    if not check.ok:
        return None, check
    try:
        model = compile_program(program, labels=labels)
    except Exception as e:  # Tracr raises NotImplementedError, ValueError, KeyError... for unsupported programs
        first = str(e).splitlines()[0][:120] if str(e) else ""
        return None, Check(False, f"does not compile ({type(e).__name__}: {first})")
    return model, agrees(model, inputs, wants)  # the evaluator's outputs from above, not run again


def compile_program_file(path, field: str = "--program"):
    """A RASP program file, parsed and compiled with Tracr: ``(program, params)``; a bad file is one line."""
    if not Path(path).is_file():
        raise ConfigError(field, f"no such file: {path}", "Give a file of RASP code, one op a line (or a params .npz)")
    program = parse_program(Path(path).read_text(), field)
    return program, compile_program(program).params
