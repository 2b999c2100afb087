import pytest
import torch

from meta_lightning.errors import ConfigError
from meta_lightning.meta.alignment import fit_closed_form, name_embeddings
from meta_lightning.meta.projector import Projector
from tests.helpers.tiny import byte_tokenizer


def test_closed_form_recovers_a_planted_linear_map_through_standardisation():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 16, generator=g) * 3 + 5
    truth = torch.randn(16, 8, generator=g)
    targets = x @ truth + 1.0
    projector = Projector(16, 8, "linear", num_source_layers=1, standardize=True)
    projector.set_statistics(x.mean(0, keepdim=True), x.std(0, keepdim=True))
    cosine = fit_closed_form(projector, x, torch.zeros(400, dtype=torch.long), targets, ridge=1e-6)
    assert cosine > 0.9999
    fresh = torch.randn(50, 16, generator=g) * 3 + 5
    assert torch.allclose(projector(fresh, torch.zeros(50, dtype=torch.long)), fresh @ truth + 1.0, atol=1e-3)


def test_ridge_shrinks_the_map_towards_the_mean_target():
    g = torch.Generator().manual_seed(1)
    x, targets = torch.randn(100, 6, generator=g), torch.randn(100, 4, generator=g)
    norms = []
    for ridge in (1e-4, 10.0):
        projector = Projector(6, 4, "linear")
        fit_closed_form(projector, x, torch.zeros(100, dtype=torch.long), targets, ridge)
        norms.append(projector.net.weight.norm().item())
    assert norms[1] < 0.2 * norms[0]


def test_closed_form_needs_a_linear_projector():
    with pytest.raises(ConfigError, match="^model.projector.init: closed_form needs a linear projector, not 'mlp'"):
        fit_closed_form(Projector(4, 4, "mlp"), torch.randn(8, 4), torch.zeros(8, dtype=torch.long), torch.randn(8, 4), 0.1)


def test_name_embeddings_average_the_tokens_of_each_name():
    tok = byte_tokenizer()
    table = torch.randn(len(tok), 5)
    out = name_embeddings(["Ab", "Ab", "Cd"], tok, table)
    assert set(out) == {"Ab", "Cd"}
    assert torch.allclose(out["Ab"], table[tok.encode("Ab", add_special_tokens=False)].mean(0))


def test_the_label_free_fit_maps_each_position_onto_the_embedding_of_its_text(tmp_path):
    """Vectors that are a planted linear function of the window's embedding: the fit recovers it for every
    source layer, so a fresh window's vector lands on that window's embedding and on no other."""
    from meta_lightning.meta import MetaModel
    from tests.helpers.folders import save_byte_model
    from tests.helpers.sources import source

    folder = save_byte_model(tmp_path / "meta", "llama")
    net = MetaModel(meta_model={"name": str(folder)}, projector={"kind": "linear", "init": "text", "ridge": 1e-4}).net
    net.build(source(64, 2), 0)
    table = net.model.get_input_embeddings().weight.detach()
    g = torch.Generator().manual_seed(0)
    maps = [torch.randn(table.shape[1], 64, generator=g) for _ in range(2)]  # one per source layer
    windows = [bytes([97 + i % 26, 97 + (i * 7) % 26]).decode() for i in range(300)]

    def vectors_of(ws):
        emb = name_embeddings(ws, net.prompts.tokenizer, table)
        return [torch.stack([emb[w] @ m for m in maps]) for w in ws]

    assert net.align_text(vectors_of(windows), windows) > 0.99
    fresh = ["zq", "qz"]
    out = net.projector(torch.cat(vectors_of(fresh)), torch.tensor([0, 1, 0, 1]))
    target = name_embeddings(fresh, net.prompts.tokenizer, table)
    others = name_embeddings(windows[:20], net.prompts.tokenizer, table)
    for row in (0, 1):  # the vector of each source layer
        assert (out[row] - target["zq"]).norm() < min((out[row] - t).norm() for t in others.values())
