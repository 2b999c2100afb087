"""The edit search: from the nearest beam guess, one token at a time, steered by the compiled weights."""
import random

import numpy as np
import pytest

from meta_lightning.weights import tracr_available
from meta_lightning.weights.programs import Op
from meta_lightning.weights.repair import edits
from meta_lightning.weights.tokens import decode, encode

PROGRAM = (Op("map", "is_zero", ("tokens",), numerical=True),
           Op("aggregate", "LEQ", ("indices", "indices", 0), numerical=True))
"""Tracr's make_frac_prevs shape."""
NEAR = (Op("map", "mod2", ("tokens",), numerical=True), PROGRAM[1])
TWO_OFF = (NEAR[0], Op("aggregate", "LT", ("indices", "indices", 0), numerical=True))

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')


def test_edits_change_one_token_and_keep_the_kinds():
    ids = encode(PROGRAM)
    found = edits(ids)
    assert encode(NEAR) in found and encode(TWO_OFF) not in found
    assert len(found) == len({tuple(e) for e in found})
    for e in found:
        assert len(e) == len(ids) and sum(a != b for a, b in zip(e, ids)) == 1
        assert [op.kind for op in decode(e)] == [op.kind for op in PROGRAM]
    # the map: 11 other functions, indices for tokens, categorical; the aggregate: 11 other predicates
    # (6 comparisons, 5 key predicates), tokens/v0 and tokens/v0 for the two indices, indices/tokens for v0;
    # a categorical aggregate of a numerical map is refused by the grammar
    assert sum(e[2] != ids[2] for e in found) == 11
    assert edits(ids[:-1]) == [] and edits([]) == []


def _given(program, seed: int = 0):
    from meta_lightning.weights.compile import compile_program, random_labels
    from meta_lightning.weights.encoding import Encoding
    from meta_lightning.weights.files import flatten

    params = compile_program(program, labels=random_labels(random.Random(seed), len(program))).params
    vectors, _, slots = Encoding().encode({m: dict(d) for m, d in params.items()})
    return vectors, slots, flatten(params).size


@needs_tracr
def test_distance_is_zero_for_the_model_and_grows_with_each_wrong_op():
    from meta_lightning.weights.encoding import Encoding
    from meta_lightning.weights.repair import distance
    from meta_lightning.weights.verify import compiled_vectors

    vectors, slots, _ = _given(PROGRAM, seed=3)
    right, near, two = (compiled_vectors(tuple(encode(p)), Encoding()) for p in (PROGRAM, NEAR, TWO_OFF))
    assert distance(right, vectors, slots) == pytest.approx(0.0, abs=1e-3)
    assert 0 < distance(near, vectors, slots) < distance(two, vectors, slots)
    # a matrix only the guess has counts whole
    assert distance(right, vectors[:-1], slots[:-1]) == pytest.approx(np.abs(vectors[-1]).sum(), rel=1e-5)


@needs_tracr
def test_two_tokens_off_is_found_in_two_rounds_and_not_in_one():
    from meta_lightning.weights.encoding import Encoding
    from meta_lightning.weights.repair import repair_many
    from meta_lightning.weights.verify import Verifier

    vectors, slots, size = _given(PROGRAM, seed=1)
    requests = [([encode(TWO_OFF)], vectors, slots, size)]
    asked = []

    def uniform(i, programs):
        asked.append(len(programs))
        return np.zeros(len(programs))

    verifier = Verifier(Encoding())
    assert repair_many(verifier, requests, uniform, rounds=1, width=100) == [None]
    assert repair_many(verifier, requests, uniform, rounds=2, width=100) == [encode(PROGRAM)]

    def against(i, programs):  # the meta-model would put both fixes last: with width 2 they are never compiled
        return np.array([-1.0 if p in (encode(NEAR), encode(PROGRAM)) or sum(
            a != b for a, b in zip(p, encode(PROGRAM))) == 1 else 0.0 for p in programs])

    assert repair_many(Verifier(Encoding()), requests, against, rounds=3, width=2) == [None]
