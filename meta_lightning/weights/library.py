"""Tracr's own library (``tracr.compiler.lib``) as a test set: 13 programs written by Tracr's authors.

Each program is built with the library's own function, at this project's vocabulary {0..4} and 5 positions
where the function takes them, and compiled as the library builds it (its names, so its residual order).
:func:`translate` reads the RASP expression back into this project's grammar: each ``Map``, ``SequenceMap``
and ``Select`` predicate is matched to a named one by its values on the value sets Tracr's compiler infers,
so a match compiles to the same computation. A program the grammar cannot say (an unnamed function, a
combined selector, too many ops) is kept with the reason, never dropped.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, replace
from typing import Callable, Optional

from meta_lightning.weights import require_tracr
from meta_lightning.weights.programs import (
    COMPARISONS,
    KEY_PREDICATES,
    LINEAR,
    MAPS,
    SEQUENCE_MAPS,
    Op,
    Program,
    Ref,
    canonical,
)


class OutsideGrammar(ValueError):
    """The program uses something the token grammar cannot write; the message says what."""


@dataclass(frozen=True)
class LibraryProgram:
    name: str
    call: str
    """How it was built, e.g. ``make_sort(tokens, tokens, max_seq_len=5, min_key=1)``."""
    program: Optional[Program]
    """Its translation into the grammar, or None when it is outside it."""
    reason: str = ""
    """Why it is outside the grammar (empty when it is inside)."""
    params: Optional[dict] = None
    """Its weights as the library builds it (:func:`compiled_library`; None where Tracr cannot compile it)."""
    checked: str = ""
    """What the check against the RASP evaluator found, or why it did not compile."""


def _builders() -> dict[str, tuple[str, Callable]]:
    from tracr.compiler import lib
    from tracr.rasp import rasp

    t = rasp.tokens
    return {
        "make_length": ("make_length()", lib.make_length),
        "make_reverse": ("make_reverse(tokens)", lambda: lib.make_reverse(t)),
        "make_hist": ("make_hist()", lib.make_hist),
        "make_sort_unique": ("make_sort_unique(tokens, tokens)", lambda: lib.make_sort_unique(t, t)),
        "make_sort": ("make_sort(tokens, tokens, max_seq_len=5, min_key=1)",
                      lambda: lib.make_sort(t, t, max_seq_len=5, min_key=1)),
        "make_sort_freq": ("make_sort_freq(max_seq_len=5)", lambda: lib.make_sort_freq(max_seq_len=5)),
        "make_frac_prevs": ("make_frac_prevs(numerical(tokens == 0))",
                            lambda: lib.make_frac_prevs(rasp.numerical(t == 0))),
        "make_pair_balance": ("make_pair_balance(tokens, open_token=0, close_token=1)",
                              lambda: lib.make_pair_balance(t, open_token=0, close_token=1)),
        "make_shuffle_dyck": ("make_shuffle_dyck(pairs=[(0, 1)])", lambda: lib.make_shuffle_dyck(pairs=[(0, 1)])),
        "make_shuffle_dyck2": ("make_shuffle_dyck([(0, 1), (2, 3)]): make_shuffle_dyck2's two pairs in this "
                               "vocabulary", lambda: lib.make_shuffle_dyck(pairs=[(0, 1), (2, 3)])),
        "make_count": ("make_count(tokens, 0)", lambda: lib.make_count(t, 0)),
        "make_count_less_freq": ("make_count_less_freq(2)", lambda: lib.make_count_less_freq(2)),
        "make_nary_sequencemap": ("make_nary_sequencemap(lambda x, y, z: x + y - z, tokens, indices, tokens)",
                                  lambda: lib.make_nary_sequencemap(lambda x, y, z: x + y - z, t, rasp.indices, t)),
    }


NAMES = ("make_length", "make_reverse", "make_hist", "make_sort_unique", "make_sort", "make_sort_freq",
         "make_frac_prevs", "make_pair_balance", "make_shuffle_dyck", "make_shuffle_dyck2", "make_count",
         "make_count_less_freq", "make_nary_sequencemap")
"""The 13 programs of ``tracr.compiler.lib``, in the order the report lists them."""


def build(name: str):
    """The library's RASP expression for ``name`` (its output SOp). Compile it under ``compile.fresh_ids``,
    as any program, so its labels do not depend on what the process built before."""
    require_tracr()
    return _builders()[name][1]()


def value_sets(output) -> dict[str, set]:
    """Each SOp's possible values by label (Tracr's graph keys nodes by label; ``unique_id`` is drawn lazily, so
    ``rasp.tokens`` can share one with an op built under :func:`fresh_ids`), as Tracr infers them here."""
    from tracr.compiler import basis_inference, nodes, rasp_to_graph

    from meta_lightning.weights.programs import MAX_SEQ_LEN, VOCAB

    extracted = rasp_to_graph.extract_rasp_graph(output)
    basis_inference.infer_bases(extracted.graph, extracted.sink, set(VOCAB), MAX_SEQ_LEN)
    return {node[nodes.EXPR].label: node[nodes.VALUE_SET] for node in extracted.graph.nodes.values()
            if nodes.VALUE_SET in node}


def _same(f: Callable, g: Callable, arguments) -> bool:
    try:
        return all(f(*a) == g(*a) for a in arguments)
    except (ArithmeticError, TypeError, ValueError):
        return False


def _named(table: dict, f: Callable, arguments, what: str) -> str:
    arguments = list(arguments)
    for name, g in table.items():
        if _same(f, g, arguments):
            return name
    raise OutsideGrammar(f"{what} matches none of {', '.join(table)} on its inputs")


def translate(output, max_ops: Optional[int] = None) -> Program:
    """The grammar's program for a RASP expression, or OutsideGrammar saying what it cannot write."""
    from tracr.rasp import rasp

    sets, built, refs = value_sets(output), [], {}
    predicates = {**{c: rasp.Comparison[c] for c in COMPARISONS}, **KEY_PREDICATES}
    linear = {factors: name for name, factors in LINEAR.items()}

    def ref(sop) -> Ref:
        if isinstance(sop, (rasp.TokensType, rasp.IndicesType)):
            return sop.label
        if sop.label not in refs:
            built.append(op(sop))
            refs[sop.label] = len(built) - 1
        return refs[sop.label]

    def select(selector) -> tuple[str, Ref, Ref]:
        if not isinstance(selector, rasp.Select):
            raise OutsideGrammar(f"{selector.label} is a {type(selector).__name__}, not a single Select")
        keys, queries = ref(selector.keys), ref(selector.queries)
        predicate = selector.predicate
        if isinstance(predicate, rasp.Comparison) and predicate.name in COMPARISONS:
            return predicate.name, keys, queries
        pairs = itertools.product(sets[selector.keys.label], sets[selector.queries.label])
        return _named(predicates, predicate, pairs, f"the predicate of {selector.label}"), keys, queries

    def op(sop) -> Op:
        numerical = rasp.is_numerical(sop)
        if any(isinstance(v, tuple) for v in sets[sop.label]):
            raise OutsideGrammar(f"{sop.label} holds tuples of values, which no encoding of the grammar writes")
        if isinstance(sop, rasp.Map):
            inner = ref(sop.inner)
            values = [(x,) for x in sets[sop.inner.label]]
            return Op("map", _named(MAPS, sop.f, values, f"the function of {sop.label}"), (inner,), numerical)
        if isinstance(sop, rasp.SequenceMap):
            fst, snd = ref(sop.fst), ref(sop.snd)
            if isinstance(sop, rasp.LinearSequenceMap) and (sop.fst_fac, sop.snd_fac) in linear:
                return Op("sequence_map", linear[sop.fst_fac, sop.snd_fac], (fst, snd), numerical)
            pairs = itertools.product(sets[sop.fst.label], sets[sop.snd.label])
            return Op("sequence_map", _named(SEQUENCE_MAPS, sop.f, pairs, f"the function of {sop.label}"),
                      (fst, snd), numerical)
        if isinstance(sop, rasp.SelectorWidth):
            comparison, keys, queries = select(sop.selector)
            return Op("selector_width", comparison, (keys, queries), numerical)
        if isinstance(sop, rasp.Aggregate):
            comparison, keys, queries = select(sop.selector)
            return Op("aggregate", comparison, (keys, queries, ref(sop.sop)), numerical)
        raise OutsideGrammar(f"{sop.label} is a {type(sop).__name__}, which the grammar has no op for")

    if isinstance(output, (rasp.TokensType, rasp.IndicesType)):
        raise OutsideGrammar(f"the output is the input {output.label}")
    count = sum(1 for label in sets if label not in (rasp.tokens.label, rasp.indices.label))
    too_long = f"{count} ops, more than the grammar's {max_ops}" if max_ops is not None and count > max_ops else ""
    try:
        ref(output)
    except OutsideGrammar as e:
        raise OutsideGrammar(f"{too_long}; {e}" if too_long else str(e)) from None
    if too_long:
        raise OutsideGrammar(too_long)
    return canonical(tuple(built))


def check_on_domain(output, model, inputs) -> str:
    """Whether the compiled model gives the RASP evaluator's outputs on every input where the program is
    defined (``make_sort_unique`` is defined on distinct tokens only), as a sentence; "" when it does."""
    from tracr.rasp import rasp

    from meta_lightning.weights.compile import agrees

    kept, wants = [], []
    for x in inputs:
        try:
            want = rasp.evaluate(output, list(x))
        except (ValueError, TypeError, ZeroDivisionError):
            continue
        if all(w is not None for w in want):
            kept.append(x)
            wants.append(want)
    if not kept:
        return "undefined on every input tried"
    check = agrees(model, kept, wants)
    return "" if check.ok else check.reason


@functools.lru_cache(maxsize=1)
def compiled_library(checks: int = 64, seed: int = 0) -> tuple[LibraryProgram, ...]:
    """:func:`library`, each compiled from the library's own expression and checked against the evaluator on
    ``checks`` random inputs."""
    import random

    from meta_lightning.weights.compile import compile_expression, fresh_ids, random_inputs

    inputs = random_inputs(random.Random(seed), checks)
    out = []
    for entry in library():
        with fresh_ids():
            output = build(entry.name)
            try:
                model = compile_expression(output)
            except Exception as e:  # Tracr raises NotImplementedError, ValueError, KeyError...
                out.append(replace(entry, checked=f"does not compile ({type(e).__name__}: {str(e).splitlines()[0][:120]})"))
                continue
        problem = check_on_domain(output, model, inputs)
        if problem:
            raise RuntimeError(f"Tracr's {entry.name} compiles to a model that disagrees with RASP: {problem}")
        out.append(replace(entry, params=model.params, checked="agrees with the RASP evaluator"))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def library() -> tuple[LibraryProgram, ...]:
    """The 13 library programs, each translated or with the reason it is outside the grammar."""
    from meta_lightning.weights.compile import fresh_ids
    from meta_lightning.weights.tokens import MAX_OPS

    out = []
    for name in NAMES:
        call = _builders()[name][0]
        with fresh_ids():  # labels in the reasons do not depend on what was built before
            try:
                out.append(LibraryProgram(name, call, translate(build(name), MAX_OPS)))
            except OutsideGrammar as e:
                out.append(LibraryProgram(name, call, None, str(e)))
    return tuple(out)

