import random

import pytest
import torch

from meta_lightning.errors import ConfigError
from meta_lightning.weights.module import WeightsMetaModel
from meta_lightning.weights.programs import sample_program
from meta_lightning.weights.tokens import EOS, ID, encode


def _model(**options) -> WeightsMetaModel:
    torch.manual_seed(0)
    m = WeightsMetaModel(d_model=32, layers=2, heads=2, dropout=0.0, **options)
    m.build(chunk_size=8, max_chunks=4, max_tokens=26)
    return m


def test_tokens_see_every_chunk_and_only_the_tokens_before_them():
    m = _model().eval()
    chunks, cmask = torch.randn(1, 3, 8), torch.ones(1, 3, dtype=torch.bool)
    tokens = torch.tensor([encode(sample_program(random.Random(0), 2))])
    tmask = torch.ones_like(tokens, dtype=torch.bool)
    base = m.logits(chunks, cmask, tokens, tmask)
    later = tokens.clone()
    later[0, -1] = ID["inc"]
    assert torch.allclose(m.logits(chunks, cmask, later, tmask)[0, :-1], base[0, :-1], atol=1e-5)
    other = chunks.clone()
    other[0, 2] += 1.0
    assert not torch.allclose(m.logits(other, cmask, tokens, tmask)[0, 0], base[0, 0])
    # a padded chunk is not read
    padded = torch.cat([chunks, torch.randn(1, 1, 8)], 1)
    pmask = torch.tensor([[True, True, True, False]])
    assert torch.allclose(m.logits(padded, pmask, tokens, tmask), base, atol=1e-5)


def _train(model: WeightsMetaModel, batch: dict, steps: int = 150) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss, _, _ = model.loss_and_token_accuracy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    guess = model.greedy(batch["chunks"], batch["chunk_mask"])
    exact = 0
    for i in range(len(guess)):
        target = batch["tokens"][i][batch["token_mask"][i]]
        written = guess[i][: len(target)]
        exact += int(torch.equal(written, target) and int(written[-1]) == ID[EOS])
    return exact / len(guess)


def test_programs_are_read_from_the_weights_and_not_from_noise():
    from meta_lightning.weights.datamodule import collate

    g = torch.Generator().manual_seed(0)
    items = [{"chunks": torch.randn(3, 8, generator=g), "tokens": torch.tensor(encode(sample_program(random.Random(s), 2))),
              "length": 2, "name": ""} for s in range(8)]
    batch = collate(items)
    assert _train(_model(), batch) == 1.0  # each program is told by its own weights
    assert _train(_model(inputs="random"), batch) <= 0.25  # noise tells none apart: at most the commonest


def test_bad_model_options_are_named():
    with pytest.raises(ConfigError, match="^model.heads: d_model 30 is not divisible by 4 heads"):
        WeightsMetaModel(d_model=30, heads=4)
    with pytest.raises(ConfigError, match="^model.inputs: unknown value 'noise'"):
        WeightsMetaModel(inputs="noise")


def test_decompiling_a_model_larger_than_the_meta_model_reads_is_named():
    import numpy as np

    with pytest.raises(ConfigError, match=r"^--params: the model has 40 parameters; this meta-model reads at most 32"):
        _model().decompile(np.zeros(40, dtype=np.float32))
    assert _model().decompile(np.zeros(20, dtype=np.float32))[0] == ID["<bos>"]
