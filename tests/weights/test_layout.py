import numpy as np
import pytest

from meta_lightning.weights import tracr_available
from meta_lightning.weights.files import flatten
from meta_lightning.weights.layout import Dims, dims_of, matrices, slots, unflatten
from meta_lightning.weights.programs import HELD_OUT
from tests.helpers.params import random_params

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')


def _same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(set(a[m]) == set(b[m]) and all(np.array_equal(a[m][n], b[m][n]) for n in a[m])
                                    for m in a)


@pytest.mark.parametrize("dims", [Dims(1, 5, 2, 3), Dims(3, 9, 4, 7), Dims(11, 6, 2, 2)])  # 11: layer_10 sorts first
def test_a_flat_vector_unflattens_to_the_same_parameters(dims):
    params = random_params(dims)
    assert dims_of(params) == dims
    assert _same(unflatten(flatten(params), dims), params)
    with pytest.raises(ValueError, match="values, but a model of"):
        unflatten(flatten(params)[:-1], dims)


@needs_tracr
def test_compiled_models_unflatten_to_their_parameters():
    from meta_lightning.weights.compile import compile_program

    for program in HELD_OUT.values():
        params = compile_program(program).params
        assert _same(unflatten(flatten(params), dims_of(params)), {m: dict(d) for m, d in params.items()})


def test_every_matrix_is_read_with_the_residual_stream_along_its_rows():
    dims = Dims(2, 5, 3, 4)
    params = random_params(dims)
    found = list(matrices(params))
    assert [slot for slot, *_ in found] == list(range(slots(2)))
    for slot, w, width_bias, residual_bias in found:
        assert w.shape[0] == 5
    # slot 2 + 6*1 + 3: layer 1's attention output, stored [width, residual], read transposed, bias on the residual
    slot, w, width_bias, residual_bias = found[2 + 6 + 3]
    out = params["transformer/layer_1/attn/linear"]
    assert np.array_equal(w, out["w"].T) and width_bias is None and np.array_equal(residual_bias, out["b"])
    slot, w, width_bias, residual_bias = found[2 + 4]  # layer 0's MLP input: [residual, hidden], bias on the hidden
    first = params["transformer/layer_0/mlp/linear_1"]
    assert np.array_equal(w, first["w"]) and np.array_equal(width_bias, first["b"]) and residual_bias is None
