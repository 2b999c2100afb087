"""Tracr's own library as a test set: built with its functions, translated into the grammar where it can be,
compiled as the library builds it, checked, and kept out of training."""
import random

import numpy as np
import pytest

from meta_lightning.weights import tracr_available
from meta_lightning.weights.programs import describe

pytestmark = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')
OUTSIDE = {"make_shuffle_dyck", "make_shuffle_dyck2", "make_nary_sequencemap"}


def test_all_13_are_listed_and_each_is_translated_or_says_why_not():
    from meta_lightning.weights.library import NAMES, library

    entries = {p.name: p for p in library()}
    assert list(entries) == list(NAMES) and len(NAMES) == 13
    assert {n for n, p in entries.items() if p.program is None} == OUTSIDE
    assert entries["make_shuffle_dyck"].reason.startswith("13 ops, more than the grammar's 8; the function of")
    assert "holds tuples of values" in entries["make_nary_sequencemap"].reason
    assert describe(entries["make_sort"].program) == (
        "v0 = categorical(SequenceMap(tiebreak, tokens, indices))\n"
        "v1 = categorical(SelectorWidth(Select(v0, v0, LT)))\n"
        "v2 = categorical(Aggregate(Select(v1, indices, EQ), tokens))")
    assert describe(entries["make_pair_balance"].program) == (
        "v0 = numerical(Map(is_zero, tokens))\n"
        "v1 = numerical(Aggregate(Select(indices, indices, LEQ), v0))\n"
        "v2 = numerical(Map(is_one, tokens))\n"
        "v3 = numerical(Aggregate(Select(indices, indices, LEQ), v2))\n"
        "v4 = numerical(SequenceMap(sub, v1, v3))")
    assert describe(entries["make_count_less_freq"].program) == (
        "v0 = categorical(SelectorWidth(Select(tokens, tokens, EQ)))\n"
        "v1 = categorical(SelectorWidth(Select(v0, v0, key_le2)))")


def test_the_translation_does_not_depend_on_the_ids_the_inputs_drew(monkeypatch):
    """rasp.tokens draws its unique_id on first use: under fresh_ids an op can share it. Keyed by id, the
    translation then counted 10 ops for make_shuffle_dyck and depended on which test ran first."""
    from tracr.rasp import rasp

    from meta_lightning.weights.library import library

    expected = {p.name: (p.program, p.reason) for p in library()}
    monkeypatch.setitem(rasp.tokens.__dict__, "unique_id", 1)  # the ids fresh_ids hands out first
    monkeypatch.setitem(rasp.indices.__dict__, "unique_id", 2)
    library.cache_clear()
    try:
        assert {p.name: (p.program, p.reason) for p in library()} == expected
    finally:
        library.cache_clear()


def test_each_translation_computes_what_the_library_program_does():
    from tracr.rasp import rasp

    from meta_lightning.weights.compile import fresh_ids, random_inputs, to_rasp
    from meta_lightning.weights.library import build, library

    inputs = random_inputs(random.Random(1), 64)
    for entry in library():
        if entry.program is None:
            continue
        with fresh_ids():
            theirs, ours, compared = build(entry.name), to_rasp(entry.program), 0
        for x in inputs:
            try:
                want = rasp.evaluate(theirs, x)
            except ValueError:  # outside the program's domain (make_sort_unique: distinct tokens)
                continue
            if None not in want:
                assert rasp.evaluate(ours, x) == want, (entry.name, x)
                compared += 1
        assert compared >= 8, entry.name


def test_a_function_the_grammar_lacks_is_named():
    from tracr.compiler import lib
    from tracr.rasp import rasp

    from meta_lightning.weights.library import OutsideGrammar, translate

    with pytest.raises(OutsideGrammar, match="the function of .* matches none of inc, dec"):
        translate(rasp.Map(lambda x: x + 3, rasp.tokens))
    with pytest.raises(OutsideGrammar, match="is a SelectorAnd, not a single Select"):
        same_token = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.EQ)
        both = same_token & rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.LEQ)
        translate(rasp.SelectorWidth(both))
    # a lambda that equals a named comparison on the values it meets is that comparison
    by_lambda = rasp.SelectorWidth(rasp.Select(rasp.tokens, rasp.tokens, lambda k, q: k == q))
    assert translate(lib.make_hist()) == translate(by_lambda)


def test_the_test_set_reads_what_fits_notes_what_is_outside_and_names_what_it_cannot_read():
    from meta_lightning.weights.dataset import library_set
    from meta_lightning.weights.encoding import Encoding
    from meta_lightning.weights.tokens import BOS, EOS, ID

    programs, unread = library_set(Encoding())
    assert len(programs) == 10 and set(unread) == OUTSIDE  # the default canvas holds every program it can write
    assert all("too large to read" in why for why in unread.values())
    # a canvas large enough for make_shuffle_dyck reads it: outside the grammar, so noted, with an empty truth
    programs, unread = library_set(Encoding(rows=72, cols=120, max_layers=8))
    at = programs.names.index("make_shuffle_dyck")
    assert programs.note(at).startswith("outside the grammar: 13 ops")
    assert programs.tokens[at].tolist() == [ID[BOS], ID[EOS]]
    assert set(unread) == {"make_shuffle_dyck2", "make_nary_sequencemap"}


def test_library_programs_never_reach_training(tmp_path):
    from meta_lightning.weights.compile import compile_program, flat_weights
    from meta_lightning.weights.dataset import read_splits
    from meta_lightning.weights.generation import write_shard
    from meta_lightning.weights.layout import dims_of
    from meta_lightning.weights.library import library
    from meta_lightning.weights.programs import sample_program
    from meta_lightning.weights.tokens import encode

    programs = [p.program for p in library() if p.program is not None][:3] + [sample_program(random.Random(0), 2)]
    models = [compile_program(p) for p in programs]
    write_shard(tmp_path / "shard_00000.npz", [flat_weights(m) for m in models], [dims_of(m.params) for m in models],
                [np.array(encode(p), dtype=np.int16) for p in programs])
    kept = [tuple(t.tolist()) for s in read_splits(tmp_path).values() for t in s.tokens]
    assert kept == [tuple(encode(programs[-1]))]


def test_random_op_names_give_the_layout_the_librarys_own_names_give():
    """make_pair_balance's two branches share layers, and Tracr lays them out by name: the default names
    give another layout than the library's, and training's random names give the library's too."""
    from meta_lightning.weights.compile import compile_expression, compile_program, fresh_ids, random_labels
    from meta_lightning.weights.encoding import Encoding
    from meta_lightning.weights.library import build, library

    encoding = Encoding()
    program = next(p.program for p in library() if p.name == "make_pair_balance")
    with fresh_ids():
        theirs = encoding.encode(compile_expression(build("make_pair_balance")).params)[0]
    assert not np.array_equal(encoding.encode(compile_program(program).params)[0], theirs)
    layouts = [encoding.encode(compile_program(program, labels=random_labels(random.Random(s), 5)).params)[0]
               for s in range(16)]
    assert any(np.array_equal(layout, theirs) for layout in layouts)
