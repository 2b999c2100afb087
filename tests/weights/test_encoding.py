import numpy as np
import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.weights.encoding import Encoding, squash
from meta_lightning.weights.files import flatten
from meta_lightning.weights.layout import Dims, residual_order
from tests.helpers.params import random_params


def test_squash_keeps_the_sign_and_the_order_of_magnitude():
    assert squash(np.array([np.e - 1, -(np.e - 1), 0.0])).tolist() == pytest.approx([1.0, -1.0, 0.0])


def test_chunks_are_the_squashed_flat_parameters_zero_padded():
    params = random_params(Dims(1, 4, 2, 3))
    flat = flatten(params)
    vectors, extent, slots = Encoding(kind="chunks", chunk_size=16, max_chunks=10).encode(params)
    count = -(-flat.size // 16)
    assert vectors.shape == extent.shape == (count, 16) and slots.tolist() == list(range(count))
    assert np.allclose(vectors.ravel()[:flat.size], squash(flat)) and not vectors.ravel()[flat.size:].any()
    assert extent.sum() == flat.size and extent.ravel()[:flat.size].all()
    with pytest.raises(ConfigError, match=rf"^data.encoding.max_chunks: a model has {flat.size} parameters, more than "
                                          rf"2 chunks of 16\. Raise it to {count}"):
        Encoding(kind="chunks", chunk_size=16, max_chunks=2).encode(params)


def test_each_matrix_lies_on_its_canvas_with_the_residual_along_the_rows():
    params = random_params(Dims(2, 5, 3, 4), seed=1)
    e = Encoding(rows=6, cols=7, max_layers=2)
    vectors, extent, slots = e.encode(params)
    assert vectors.shape == extent.shape == (14, 7 * 8) and slots.tolist() == list(range(14)) and e.slots() == 14
    canvas, cells = vectors.reshape(14, 7, 8), extent.reshape(14, 7, 8)
    token = params["token_embed"]["embeddings"]  # [7 tokens, 5 residual]
    assert np.allclose(canvas[1, :5, :7], squash(token.T)) and canvas[1, :5, 7].tolist() == [0.0] * 5
    down = params["transformer/layer_1/mlp/linear_2"]  # [4 hidden, 5 residual]: read transposed, bias in the last column
    assert np.allclose(canvas[2 + 6 + 5, :5, :4], squash(down["w"].T))
    assert np.allclose(canvas[2 + 6 + 5, :5, 7], squash(down["b"])) and not canvas[2 + 6 + 5, 6].any()
    query = params["transformer/layer_0/attn/query"]  # [5 residual, 3 width]: bias in the last row
    assert np.allclose(canvas[2, :5, :3], squash(query["w"])) and np.allclose(canvas[2, 6, :3], squash(query["b"]))
    assert cells[2].sum() == 5 * 3 + 3 and cells[2 + 6 + 5].sum() == 5 * 4 + 5
    assert not canvas[~cells].any()  # nothing outside the model's own cells


def test_circuits_lay_attention_as_its_products_and_the_mlp_beside_its_response():
    params = random_params(Dims(2, 5, 3, 4), seed=2)
    e = Encoding(kind="circuits", rows=6, cols=7, max_layers=2)
    vectors, extent, slots = e.encode(params)
    assert vectors.shape == (2 + 5 * 2, 7 * 8) and slots.tolist() == list(range(12)) and e.slots() == 12
    canvas, order = vectors.reshape(12, 7, 8), residual_order(params)
    w = {n: params[f"transformer/layer_1/{n}"]["w"] for n in ("attn/query", "attn/key", "attn/value", "attn/linear")}
    qk, ov = w["attn/query"] @ w["attn/key"].T, w["attn/value"] @ w["attn/linear"]
    assert np.allclose(canvas[2 + 5, :5, :5], squash(qk[np.ix_(order, order)]), atol=1e-6)
    assert np.allclose(canvas[2 + 5 + 1, :5, :5], squash(ov[np.ix_(order, order)]), atol=1e-6)
    assert extent[2 + 5].reshape(7, 8)[:5, :5].all() and not canvas[2 + 5, 5:].any()


@pytest.mark.parametrize("encoding, needle", [
    (Encoding(rows=4), "data.encoding.rows: a model needs 5, more than 4. Raise it to 5"),
    (Encoding(cols=6), "data.encoding.cols: a model needs 7, more than 6"),  # the token embedding's 7 columns
    (Encoding(max_layers=1), "data.encoding.max_layers: a model needs 2, more than 1"),
    (Encoding(kind="circuits", rows=9, cols=8), "data.encoding.cols: a model needs 9, more than 8"),  # W_QK is 9 x 9
])
def test_a_model_larger_than_the_canvas_is_named(encoding, needle):
    with pytest.raises(ConfigError, match="^" + needle.replace(".", r"\.")):
        encoding.encode(random_params(Dims(2, 9 if encoding.kind == "circuits" else 5, 3, 4)))
