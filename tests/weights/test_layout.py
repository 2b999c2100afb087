import numpy as np
import pytest

from meta_lightning.weights import tracr_available
from meta_lightning.weights.files import flatten
from meta_lightning.weights.layout import Dims, circuits, dims_of, matrices, residual_order, slots, unflatten
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
    assert all(w.shape[0] == 5 for _, w, *_ in found)
    # slot 2 + 6*1 + 3: layer 1's attention output, stored [width, residual], read transposed, bias on the residual
    slot, w, width_bias, residual_bias = found[2 + 6 + 3]
    out = params["transformer/layer_1/attn/linear"]
    assert np.array_equal(w, out["w"].T) and width_bias is None and np.array_equal(residual_bias, out["b"])
    slot, w, width_bias, residual_bias = found[2 + 4]  # layer 0's MLP input: [residual, hidden], bias on the hidden
    first = params["transformer/layer_0/mlp/linear_1"]
    assert np.array_equal(w, first["w"]) and np.array_equal(width_bias, first["b"]) and residual_bias is None


def _permuted(params: dict, perm: np.ndarray) -> dict:
    """The same model on a permuted residual basis (row i of the new stream is row perm[i] of the old)."""
    out = {}
    for module, d in params.items():
        out[module] = {}
        for name, value in d.items():
            residual_last = module.endswith(("embed", "attn/linear", "mlp/linear_2"))
            if name == "embeddings" or (residual_last and name == "w"):
                out[module][name] = value[:, perm]
            elif residual_last or name == "w":  # a residual bias, or a matrix that reads the stream
                out[module][name] = value[perm]
            else:
                out[module][name] = value
    return out


def test_residual_rows_sort_by_what_writes_them_whatever_the_label_order():
    dims = Dims(1, 5, 2, 3)
    params = {m: {n: np.zeros_like(v) for n, v in d.items()} for m, d in random_params(dims).items()}
    # Tracr's order: row 0 written by the MLP, 1 by attention, 2 by the position embedding, 3-4 by the tokens
    params["transformer/layer_0/mlp/linear_2"]["w"][:, 0] = 1.0
    params["transformer/layer_0/attn/linear"]["w"][:, 1] = 2.0
    params["pos_embed"]["embeddings"][:, 2] = 3.0
    params["token_embed"]["embeddings"][:, 3:] = [4.0, 5.0]
    params["transformer/layer_0/attn/query"]["w"][:] = np.arange(5.0)[:, None]  # reads each row by its number
    assert residual_order(params).tolist() == [3, 4, 2, 1, 0]
    query = dict((s, w) for s, w, *_ in matrices(params, residual_order(params)))[2]
    assert query[:, 0].tolist() == [3.0, 4.0, 2.0, 1.0, 0.0]
    # the same model with its labels sorted another way (an op's own values keep their order) reads the same
    perm = np.array([3, 2, 0, 4, 1])
    other = _permuted(params, perm)
    for (s1, a, *_), (s2, b, *_) in zip(matrices(params, residual_order(params)), matrices(other, residual_order(other))):
        assert s1 == s2 and np.array_equal(a, b)


@needs_tracr
def test_in_compiled_models_the_inputs_come_first_then_each_layers_writes():
    from meta_lightning.weights.compile import compile_program

    for program in HELD_OUT.values():
        params = compile_program(program).params
        order = residual_order(params)
        assert sorted(order.tolist()) == list(range(dims_of(params).residual))
        found = dict((slot, w) for slot, w, *_ in matrices(params, order))
        writers = [found[1], found[0]] + [found[2 + 6 * layer + k] for layer in range(dims_of(params).layers) for k in (3, 5)]
        first = [next(i for i, w in enumerate(writers) if np.abs(w[row]).sum() > 0) for row in range(len(order))]
        assert first == sorted(first) and first[0] == 0  # token embedding rows ("one", then tokens) lead


@needs_tracr
def test_circuits_show_a_maps_table_and_a_selects_predicate():
    from meta_lightning.weights.compile import compile_program
    from meta_lightning.weights.programs import MAPS, Op

    model = compile_program((Op("map", "mod3", ("tokens",)),))
    labels, table = model.residual_labels, list(circuits(model.params))[2 + 4][1]  # layer 0's MLP response
    for value in range(5):  # the input value's row writes the output value's column, and only that
        row = table[labels.index(f"tokens:{value}")]
        assert np.flatnonzero(row).tolist() == [labels.index(f"map_1:{MAPS['mod3'](value)}")]
        assert np.isclose(row.max(), 1.0, atol=1e-3)
    model = compile_program((Op("aggregate", "LT", ("tokens", "tokens", "tokens")),))
    labels, qk = model.residual_labels, list(circuits(model.params))[2][1]  # layer 0's W_QK: query x key
    tokens = [labels.index(f"tokens:{v}") for v in range(5)]
    attends = qk[np.ix_(tokens, tokens)] > qk[np.ix_(tokens, tokens)].max() / 2
    assert attends.tolist() == [[key < query for key in range(5)] for query in range(5)]
