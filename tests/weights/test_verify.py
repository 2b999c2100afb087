"""The compiler check: a guess is the answer when Tracr compiles it to the given model."""
import random

import pytest

from meta_lightning.weights import tracr_available
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.files import flatten
from meta_lightning.weights.programs import Op
from meta_lightning.weights.tokens import encode

pytestmark = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')

PROGRAM = (Op("map", "is_zero", ("tokens",), numerical=True),
           Op("aggregate", "LEQ", ("indices", "indices", 0), numerical=True))
"""Tracr's make_frac_prevs shape; the meta-model once wrote mod2 for is_zero here."""


def _given(program, seed: int = 0):
    """The model a user hands over: compiled with op names of its own, read as the meta-model reads it."""
    from meta_lightning.weights.compile import compile_program, random_labels

    params = compile_program(program, labels=random_labels(random.Random(seed), len(program))).params
    vectors, _, slots = Encoding().encode({m: dict(d) for m, d in params.items()})
    return vectors, slots, flatten(params).size


def test_the_right_program_compiles_back_and_a_near_miss_does_not():
    from meta_lightning.weights.verify import Verifier

    vectors, slots, size = _given(PROGRAM, seed=3)
    near = (Op("map", "mod2", ("tokens",), numerical=True), PROGRAM[1])
    other_predicate = (PROGRAM[0], Op("aggregate", "LT", ("indices", "indices", 0), numerical=True))
    verifier = Verifier(Encoding())
    assert verifier.same(encode(PROGRAM), vectors, slots, size)
    assert not verifier.same(encode(near), vectors, slots, size)
    assert not verifier.same(encode(other_predicate), vectors, slots, size)
    # the first candidate that compiles back is the answer; none: the most likely one, unchecked
    assert verifier.choose([encode(near), encode(PROGRAM), encode(other_predicate)], vectors, slots, size) == (1, True)
    assert verifier.choose([encode(near), encode(other_predicate)], vectors, slots, size) == (0, False)
    assert verifier.compiles == 3  # each guess compiled once


def test_a_guess_too_large_for_the_model_is_not_compiled():
    from meta_lightning.weights.verify import Verifier

    vectors, slots, size = _given(PROGRAM)
    chain = (Op("sequence_map", "add", ("tokens", "indices")), Op("sequence_map", "mul", (0, 0)),
             Op("sequence_map", "add", (1, 0)), Op("sequence_map", "mul", (2, 1)))  # one MLP unit per pair of values
    verifier = Verifier(Encoding())
    assert not verifier.same(encode(chain), vectors, slots, size) and verifier.compiles == 0
    assert not verifier.same(encode(PROGRAM)[:-1], vectors, slots, size)  # cut short: not a program
