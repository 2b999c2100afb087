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


@needs_tracr
@pytest.mark.slow
def test_fast_init_gives_exactly_tracrs_parameters():
    from meta_lightning.weights.compile import compile_program, flat_weights

    for name in ("reverse", "histogram"):
        stock, fast = compile_program(HELD_OUT[name], fast=False), compile_program(HELD_OUT[name], fast=True)
        assert {k: set(v) for k, v in stock.params.items()} == {k: set(v) for k, v in fast.params.items()}
        assert np.array_equal(flat_weights(stock), flat_weights(fast))


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
