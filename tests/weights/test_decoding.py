"""Cached decoding writes what the full network computes: the same logits, greedy and beam search."""
import torch

from meta_lightning.weights.decoding import beam, greedy_uncached, start, step
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.network import ProgramNetwork
from meta_lightning.weights.tokens import BOS, EOS, ID, PAD, allowed_next, decode


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    encoding = Encoding(rows=6, cols=7, max_layers=2)
    net = ProgramNetwork(encoding, max_tokens=14, d_model=32, layers=2, heads=4, dropout=0.0).eval()
    vectors = torch.randn(3, 5, encoding.features())
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    batch = {"vectors": vectors * mask[..., None], "extent": mask[..., None].expand_as(vectors), "vector_mask": mask,
             "slots": torch.arange(5).repeat(3, 1)}
    return net, batch


def _full(net, batch, tokens):
    return net.logits(net.prefix(batch), batch["vector_mask"], tokens, torch.ones_like(tokens, dtype=torch.bool))


def test_cached_steps_give_the_full_networks_logits():
    net, batch = _setup()
    tokens = torch.randint(3, 20, (3, 6))
    tokens[:, 0] = ID[BOS]
    with torch.no_grad():
        full, cache = _full(net, batch, tokens), start(net, batch)
        cached = torch.stack([step(net, tokens[:, :t], cache) for t in range(1, 7)], 1)
    assert torch.allclose(cached, full, atol=1e-5)


def _score(net, batch, i, ids):
    ids = torch.tensor([ids])
    one = {k: v[i:i + 1] for k, v in batch.items()}
    with torch.no_grad():
        logp = torch.log_softmax(_full(net, one, ids[:, :-1]), -1)[0]
        allowed = torch.zeros_like(logp, dtype=torch.bool)
        for t in range(ids.shape[1] - 1):
            allowed[t, allowed_next(ids[0, :t + 1].tolist())] = True
        logp = logp.masked_fill(~allowed, float("-inf"))
    return float(logp.gather(1, ids[0, 1:, None]).sum())


def test_width_one_is_greedy_and_wider_beams_rank_programs_by_their_probability():
    for seed in range(3):
        net, batch = _setup(seed)
        greedy = net.greedy(batch)
        assert torch.equal(greedy, greedy_uncached(net, batch)[:, :greedy.shape[1]])
        tokens, scores = beam(net, batch, 4)
        assert (scores[:, :-1] >= scores[:, 1:]).all() and (scores[:, 0] >= beam(net, batch, 1)[1][:, 0] - 1e-4).all()
        for i in range(3):
            for k in range(4):
                ids = [t for t in tokens[i, k].tolist() if t != ID[PAD]]
                if torch.isfinite(scores[i, k]):  # its log-probability under the grammar
                    assert abs(_score(net, batch, i, ids) - float(scores[i, k])) < 1e-3
                    if ids[-1] == ID[EOS]:  # finished within max_tokens: a well-formed program
                        decode(ids)


def test_a_large_batch_is_decoded_in_parts_that_give_the_same_programs(monkeypatch):
    import meta_lightning.weights.decoding as decoding

    net, batch = _setup(1)
    whole = beam(net, batch, 4)
    monkeypatch.setattr(decoding, "ROWS", 4)  # one model at a time
    parts = beam(net, batch, 4)
    t = max(whole[0].shape[2], parts[0].shape[2])
    pad = [torch.nn.functional.pad(x[0], (0, t - x[0].shape[2]), value=ID[PAD]) for x in (whole, parts)]
    assert torch.equal(pad[0], pad[1]) and torch.allclose(whole[1], parts[1], atol=1e-5)


def test_likelihood_of_programs_of_different_lengths_is_each_ones_own():
    from meta_lightning.weights.decoding import likelihood
    from meta_lightning.weights.programs import Op
    from meta_lightning.weights.tokens import encode

    net, batch = _setup(2)
    short = encode((Op("map", "inc", ("tokens",)),))
    long = encode((Op("map", "inc", ("tokens",)), Op("sequence_map", "add", (0, "indices"))))
    found = likelihood(net, batch, 1, [long, short])
    for ids, value in zip((long, short), found.tolist()):
        one = {k: v[1:2] for k, v in batch.items()}
        with torch.no_grad():
            logp = torch.log_softmax(_full(net, one, torch.tensor([ids[:-1]])), -1)[0]
        assert abs(float(logp.gather(1, torch.tensor(ids[1:])[:, None]).sum()) - value) < 1e-4
