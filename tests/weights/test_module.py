import random

import pytest
import torch

from meta_lightning.errors import ConfigError
from meta_lightning.weights import tracr_available
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.layout import Dims
from meta_lightning.weights.module import WeightsMetaModel
from meta_lightning.weights.programs import sample_program
from meta_lightning.weights.tokens import EOS, ID, encode
from tests.helpers.params import random_params

CHUNKS = Encoding(kind="chunks", chunk_size=8, max_chunks=4)


def _model(encoding: Encoding = CHUNKS, **options) -> WeightsMetaModel:
    torch.manual_seed(0)
    m = WeightsMetaModel(d_model=32, layers=2, heads=2, dropout=0.0, **options)
    m.build(encoding, max_tokens=26)
    return m


def _batch(vectors: torch.Tensor, mask: torch.Tensor) -> dict:
    return {"vectors": vectors, "extent": torch.ones_like(vectors, dtype=torch.bool),
            "slots": torch.arange(vectors.shape[1]).expand(vectors.shape[:2]), "vector_mask": mask}


def test_tokens_see_every_weight_vector_and_only_the_tokens_before_them():
    m = _model().eval()
    vectors, vmask = torch.randn(1, 3, 8), torch.ones(1, 3, dtype=torch.bool)
    tokens = torch.tensor([encode(sample_program(random.Random(0), 2))])
    tmask = torch.ones_like(tokens, dtype=torch.bool)
    base = m.net.logits(m.net.prefix(_batch(vectors, vmask)), vmask, tokens, tmask)
    later = tokens.clone()
    later[0, -1] = ID["inc"]
    moved = m.net.logits(m.net.prefix(_batch(vectors, vmask)), vmask, later, tmask)
    assert torch.allclose(moved[0, :-1], base[0, :-1], atol=1e-5)
    other = vectors.clone()
    other[0, 2] += 1.0
    assert not torch.allclose(m.net.logits(m.net.prefix(_batch(other, vmask)), vmask, tokens, tmask)[0, 0], base[0, 0])
    # a padded vector is not read
    padded, pmask = torch.cat([vectors, torch.randn(1, 1, 8)], 1), torch.tensor([[True, True, True, False]])
    assert torch.allclose(m.net.logits(m.net.prefix(_batch(padded, pmask)), pmask, tokens, tmask), base, atol=1e-5)


def test_random_inputs_put_noise_only_in_the_cells_a_model_has():
    m = _model(inputs="random")
    batch = _batch(torch.randn(2, 3, 8), torch.ones(2, 3, dtype=torch.bool))
    batch["extent"][:, :, 5:] = False
    seen = []
    m.net.vector_in.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    m.net.prefix(batch)
    noise = seen[0]
    assert not noise[..., 5:].any() and noise[..., :5].std() > 0.5 and not torch.equal(noise, batch["vectors"])


def _train(model: WeightsMetaModel, batch: dict, steps: int = 150) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss, _, _ = model.net.loss_and_token_accuracy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    guess = model.net.greedy(batch)
    exact = 0
    for i in range(len(guess)):
        target = batch["tokens"][i][batch["token_mask"][i]]
        written = guess[i][: len(target)]
        exact += int(torch.equal(written, target) and int(written[-1]) == ID[EOS])
    return exact / len(guess)


def test_programs_are_read_from_the_weights_and_not_from_noise():
    from meta_lightning.weights.datamodule import collate

    g = torch.Generator().manual_seed(0)
    items = [{"vectors": torch.randn(3, 8, generator=g), "extent": torch.ones(3, 8, dtype=torch.bool),
              "slots": torch.arange(3), "tokens": torch.tensor(encode(sample_program(random.Random(s), 2))),
              "length": 2, "size": 24, "name": "", "dataset": "train"} for s in range(8)]
    batch = collate(items)
    assert _train(_model(), batch) == 1.0  # each program is told by its own weights
    assert _train(_model(inputs="random"), batch) <= 0.25  # noise tells none apart: at most the commonest


def test_bad_model_options_are_named():
    with pytest.raises(ConfigError, match="^model.heads: d_model 30 is not divisible by 4 heads"):
        WeightsMetaModel(d_model=30, heads=4)
    with pytest.raises(ConfigError, match="^model.inputs: unknown value 'noise'"):
        WeightsMetaModel(inputs="noise")
    with pytest.raises(ConfigError, match="^model.repair_rounds: must be at least 0, got -1"):
        WeightsMetaModel(repair_rounds=-1)


def test_decompiling_a_model_larger_than_the_meta_model_reads_is_named():
    small, large = random_params(Dims(1, 4, 2, 3)), random_params(Dims(3, 12, 4, 9))
    model = _model(Encoding(rows=8, cols=8, max_layers=2))
    with pytest.raises(ConfigError, match=r"^--params: the model does not fit this meta-model: a model needs 12, more "
                                          r"than 8 \(data.encoding.rows\)\. .* a larger data.encoding.rows"):
        model.decompile(large)
    ids, same = model.decompile(small)
    checked = tracr_available()  # random weights: no program compiles to them; without Tracr nothing is checked
    assert ids[0] == ID["<bos>"] and same is (False if checked else None) and model.hparams.verify is checked


def test_a_checkpoint_of_the_older_format_is_refused_in_one_line(tmp_path):
    torch.save({"weights_model": {"chunk_size": 8, "max_chunks": 4, "max_tokens": 26}, "hyper_parameters": {},
                "state_dict": {}}, tmp_path / "old.ckpt")
    with pytest.raises(ConfigError, match=r"^--ckpt_path: .*old.ckpt was written by an older meta_lightning \(weights "
                                          r"checkpoint format 1, this one reads 3\)"):
        WeightsMetaModel.from_checkpoint(str(tmp_path / "old.ckpt"))
    # an activation run's checkpoint names the side it belongs to
    torch.save({"meta_lightning": {"format": 4}, "state_dict": {}}, tmp_path / "acts.ckpt")
    with pytest.raises(ConfigError, match=r"^--ckpt_path: .*acts.ckpt is a meta-model that reads an input-model's "
                                          r"activations, and this run reads compiled models' weights\. Use it with a "
                                          r"config of kind: activations"):
        WeightsMetaModel.from_checkpoint(str(tmp_path / "acts.ckpt"))


@pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')
def test_where_no_beam_guess_compiles_back_the_edit_search_answers(monkeypatch):
    import meta_lightning.weights.module as module
    from meta_lightning.weights.compile import compile_program
    from meta_lightning.weights.programs import Op

    program = (Op("map", "is_zero", ("tokens",), numerical=True),
               Op("aggregate", "LEQ", ("indices", "indices", 0), numerical=True))
    two_off = (Op("map", "mod2", ("tokens",), numerical=True),
               Op("aggregate", "LT", ("indices", "indices", 0), numerical=True))
    guess = torch.tensor(encode(two_off))
    monkeypatch.setattr(module, "beam", lambda net, batch, width: (guess[None, None], torch.zeros(1, 1)))
    params = compile_program(program).params
    for rounds, expected in ((0, (encode(two_off), False)), (2, (encode(program), True))):
        model = _model(Encoding(), repair_rounds=rounds, repair_width=64)
        assert model.decompile({m: dict(d) for m, d in params.items()}) == expected
