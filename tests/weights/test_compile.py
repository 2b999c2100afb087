import random

import numpy as np
import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.weights import tracr_available
from meta_lightning.weights.programs import HELD_OUT, Op

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')


def test_without_tracr_the_error_names_the_install_command(monkeypatch):
    import meta_lightning.weights as weights

    monkeypatch.setattr(weights, "tracr_available", lambda: False)
    with pytest.raises(ConfigError, match=r'^weights: .*not installed\. Install the extra: pip install -e "\.\[weights\]"'):
        weights.require_tracr()


SHAPES = {
    **HELD_OUT,
    # only maps: no attention, and no residual dimension for "one"
    "maps only": (Op("map", "is_one", ("tokens",), numerical=True), Op("map", "mod3", (0,), numerical=True)),
    # a categorical map only: one MLP, the narrowest model
    "one map": (Op("map", "inc", ("tokens",)),),
    # a numerical mean read by a map: a discretising MLP after an attention layer
    "mean then map": (Op("map", "is_zero", ("tokens",), numerical=True),
                      Op("aggregate", "TRUE", ("tokens", "tokens", 0), numerical=True), Op("map", "gt2", (1,))),
}


@needs_tracr
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_fast_assembly_gives_exactly_tracrs_parameters(name):
    from meta_lightning.weights.compile import compile_program, flat_weights

    stock, fast = compile_program(SHAPES[name], fast=False), compile_program(SHAPES[name], fast=True)
    assert {k: set(v) for k, v in stock.params.items()} == {k: set(v) for k, v in fast.params.items()}
    assert {np.asarray(v).dtype for d in stock.params.values() for v in d.values()} == {np.dtype(np.float32)}
    assert all(type(v) is np.ndarray and v.dtype == np.float32 for d in fast.params.values() for v in d.values())
    assert np.array_equal(flat_weights(stock), flat_weights(fast))
    assert stock.output_dims == fast.output_dims


@needs_tracr
@pytest.mark.parametrize("name", ["length", "reverse", "histogram"])
def test_held_out_programs_compile_to_what_the_evaluator_computes(name):
    from meta_lightning.weights.compile import compile_and_check

    model, check = compile_and_check(HELD_OUT[name])
    assert check.ok, check.reason


@needs_tracr
def test_sort_agrees_on_distinct_tokens_and_is_refused_where_tokens_repeat():
    from meta_lightning.weights.compile import check_compiled, compile_program

    model = compile_program(HELD_OUT["sort"])
    assert check_compiled(HELD_OUT["sort"], model, [[3, 1, 4, 0], [2, 0], [4, 3, 2, 1, 0]]).ok
    repeated = check_compiled(HELD_OUT["sort"], model, [[3, 1, 3]])
    assert not repeated.ok and "undefined output on [3, 1, 3]" in repeated.reason


@needs_tracr
def test_constant_and_uncompilable_programs_are_rejected():
    from meta_lightning.weights.compile import compile_and_check

    constant = (Op("map", "is_zero", ("tokens",)), Op("map", "gt2", (0,)))  # 0 or 1, then "> 2": always 0
    _, check = compile_and_check(constant)
    assert not check.ok and check.reason == "constant: every position of every input gives 0"
    # Tracr's categorical aggregate cannot average: a mean of numbers that are not 0/1 fails to compile
    averaged = (Op("map", "inc", ("tokens",)), Op("aggregate", "TRUE", ("tokens", "tokens", 0), numerical=True))
    model, check = compile_and_check(averaged)
    assert not check.ok


@needs_tracr
@pytest.mark.slow
def test_the_compiled_model_runs_in_batches_as_one_at_a_time():
    from meta_lightning.weights.compile import compile_program, random_inputs, run

    model = compile_program(HELD_OUT["reverse"])
    inputs = random_inputs(random.Random(0), 12)
    assert run(model, inputs) == [model.apply(["BOS"] + x).decoded[1:] for x in inputs]


@needs_tracr
def test_a_programs_weights_do_not_depend_on_what_was_compiled_before(monkeypatch):
    import itertools

    from tracr.rasp import rasp

    from meta_lightning.weights.compile import compile_program, flat_weights

    two_maps = (Op("map", "inc", ("tokens",)), Op("map", "dec", (0,)), Op("sequence_map", "add", (1, "tokens")))
    first = flat_weights(compile_program(two_maps))
    for start in (8, 98, 5):  # a process that has built RASP before: at 8 the maps are map_9 and map_10
        monkeypatch.setattr(rasp.RASPExpr, "_ids", itertools.count(start))
        assert np.array_equal(flat_weights(compile_program(two_maps)), first)


NEW_KINDS = {
    # make_sort's tie-break: x + index/5 makes repeated keys distinct, so sort works on any tokens
    "tiebreak": (Op("sequence_map", "tiebreak", ("tokens", "indices")), Op("selector_width", "LT", (0, 0)),
                 Op("aggregate", "EQ", (1, "indices", "tokens"))),
    # make_count's predicate of the key alone
    "key predicate": (Op("selector_width", "key_is_zero", ("tokens", "tokens")),),
    # make_pair_balance's linear difference of two numerical values
    "linear numerical": (Op("map", "is_zero", ("tokens",), True), Op("aggregate", "LEQ", ("indices", "indices", 0), True),
                         Op("map", "is_one", ("tokens",), True), Op("aggregate", "LEQ", ("indices", "indices", 2), True),
                         Op("sequence_map", "sub", (1, 3), True)),
}


@needs_tracr
@pytest.mark.parametrize("name", NEW_KINDS)
def test_each_new_op_kind_compiles_to_what_the_evaluator_computes(name):
    from meta_lightning.weights.compile import check_compiled, compile_and_check, compile_program, evaluate

    model, check = compile_and_check(NEW_KINDS[name])
    assert check.ok, check.reason
    if name == "tiebreak":  # repeated tokens too: [3, 1, 3] sorts to [1, 3, 3]
        assert evaluate(NEW_KINDS[name], [[3, 1, 3]])[0] == [[1, 3, 3]]
        assert check_compiled(NEW_KINDS[name], compile_program(NEW_KINDS[name]), [[3, 1, 3], [0, 0, 0, 4]]).ok
    if name == "key predicate":
        assert evaluate(NEW_KINDS[name], [[0, 2, 0]])[0] == [[2, 2, 2]]
    if name == "linear numerical":  # the running share of 0s minus that of 1s
        assert evaluate(NEW_KINDS[name], [[0, 1, 1, 2]])[0] == [pytest.approx([1, 0, -1 / 3, -1 / 4])]
