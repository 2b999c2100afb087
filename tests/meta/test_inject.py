"""Both injection modes on tiny models: only placeholder rows change, and gradients reach the projector."""
import copy

import pytest
import torch

from meta_lightning.errors import ConfigError
from meta_lightning.meta.inject import add_at_layer, add_placeholder_rows, norm_matched_add, replace_embeddings
from meta_lightning.meta.projector import Projector, layer_indices
from meta_lightning.meta.prompt import PromptBuilder
from meta_lightning.models.architecture import find_layout
from tests.helpers.tiny import byte_model, byte_tokenizer

ARCHS = ["llama", "qwen2", "phi", "phi3", "gpt2"]


def _setup(arch):
    tok = copy.deepcopy(byte_tokenizer())
    builder = PromptBuilder(tok)
    model = byte_model(arch)
    add_placeholder_rows(model, len(tok))
    batch = builder.build(["Is this model happy?", "Is it lying?"], ["Yes", "No"], [2, 3])
    return model, find_layout(model), builder, batch


def _layer_inputs(model, layer, kwargs):
    """What ``layer`` receives, seen by a hook registered last (so after any injection hook)."""
    seen = {}

    def observe(module, args, kw):
        seen["h"] = (args[0] if args else kw["hidden_states"]).detach().clone()

    handle = layer.register_forward_pre_hook(observe, with_kwargs=True)
    try:
        model(**kwargs)
    finally:
        handle.remove()
    return seen["h"]


@pytest.mark.parametrize("arch", ARCHS)
def test_replace_changes_only_placeholder_embeddings_and_trains_the_projector(arch):
    model, parts, builder, batch = _setup(arch)
    projector = Projector(64, 64, "linear")
    acts = torch.randn(5, 64)
    vectors = projector(acts, layer_indices([2, 3], 1))
    plain = parts.embeddings(batch.input_ids)
    injected = replace_embeddings(plain, batch.placeholder_mask, vectors)
    mask = batch.placeholder_mask
    assert torch.equal(injected[~mask], plain[~mask])
    assert torch.allclose(injected[mask], vectors)
    out = model(inputs_embeds=injected, attention_mask=batch.attention_mask, position_ids=batch.position_ids, logits_to_keep=2)
    out.logits.sum().backward()
    assert projector.net.weight.grad is not None and projector.net.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("arch", ARCHS)
def test_add_changes_only_placeholder_rows_of_layer_k_with_norm_matched_vectors(arch):
    model, parts, builder, batch = _setup(arch)
    projector = Projector(64, 64, "mlp")
    vectors = projector(torch.randn(5, 64), layer_indices([2, 3], 1))
    k, c = 1, 0.5
    kwargs = dict(input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=batch.position_ids)
    before = _layer_inputs(model, parts.layers[k], kwargs)
    with add_at_layer(parts.layers[k], batch.placeholder_mask, vectors, c):
        after = _layer_inputs(model, parts.layers[k], kwargs)
    mask = batch.placeholder_mask
    assert torch.equal(after[~mask], before[~mask])
    delta = after[mask] - before[mask]
    # ||delta|| = c * ||h||, in the direction of v.
    assert torch.allclose(delta.norm(dim=-1), c * before[mask].norm(dim=-1), rtol=1e-4)
    assert torch.allclose(torch.nn.functional.cosine_similarity(delta, vectors.detach(), dim=-1), torch.ones(5), atol=1e-5)
    with add_at_layer(parts.layers[k], mask, vectors, c):
        model(**kwargs, logits_to_keep=1).logits.sum().backward()
    assert projector.net[0].weight.grad is not None and projector.net[0].weight.grad.abs().sum() > 0
    assert not parts.layers[k]._forward_pre_hooks  # the hook is gone after the block


def test_norm_matched_add_formula_on_numbers():
    h = torch.tensor([[[3.0, 4.0], [1.0, 0.0]]])
    mask = torch.tensor([[True, False]])
    out = norm_matched_add(h, mask, torch.tensor([[0.0, 2.0]]), 2.0)
    assert torch.allclose(out, torch.tensor([[[3.0, 14.0], [1.0, 0.0]]]))  # + 2 * 5 * (0, 1)


def test_placeholder_rows_are_the_mean_so_rebuilding_gives_identical_weights():
    a, b = byte_model("gpt2"), byte_model("gpt2")
    add_placeholder_rows(a, 310)
    add_placeholder_rows(b, 310)
    assert torch.equal(a.get_input_embeddings().weight, b.get_input_embeddings().weight)
    w = a.get_input_embeddings().weight
    assert torch.allclose(w[-1], w[:300].mean(0))


def test_projector_normalize_scales_each_source_layer_to_its_gain():
    p = Projector(4, 4, "identity", num_source_layers=2, normalize=True, target_rms=3.0)
    x = torch.tensor([[100.0, 0, 0, 0], [0, 0.01, 0, 0]])
    y = p(x, layer_indices([2], 2))
    assert torch.allclose(y.pow(2).mean(-1).sqrt(), torch.tensor([3.0, 3.0]))
    assert layer_indices([4, 2], 2).tolist() == [0, 0, 1, 1, 0, 1]


def test_projector_standardize_uses_each_layers_statistics_and_they_travel_in_the_state_dict():
    p = Projector(3, 3, "identity", num_source_layers=2, standardize=True)
    mean = torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    std = torch.tensor([[1.0, 2.0, 4.0], [5.0, 5.0, 5.0]])
    p.set_statistics(mean, std)
    x = torch.tensor([[2.0, 4.0, 7.0], [15.0, 20.0, 25.0]])
    assert torch.allclose(p(x, layer_indices([2], 2)), torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0]]))
    q = Projector(3, 3, "identity", num_source_layers=2, standardize=True)
    q.load_state_dict(p.state_dict())
    assert torch.equal(q.mean, mean) and torch.equal(q.std, std)
    with pytest.raises(ConfigError, match="model.projector.standardize: statistics of shape"):
        p.set_statistics(mean[:1], std[:1])


def test_identity_projector_with_different_hidden_sizes_names_the_fix():
    with pytest.raises(ConfigError, match="^model.projector.kind: identity needs equal hidden sizes, but the input-model "
                                          "has 64 and the meta-model 96.*Use projector.kind: linear or mlp"):
        Projector(64, 96, "identity")


def test_the_injection_mode_picks_one_injector_that_owns_its_checks_and_scale():
    from meta_lightning.meta.inject import AddInjector, ReplaceInjector, make_injector
    from meta_lightning.meta.options import InjectionOptions

    replace, add = make_injector(InjectionOptions()), make_injector(InjectionOptions(mode="add", layer=3))
    assert type(replace) is ReplaceInjector and type(add) is AddInjector
    assert replace.target_rms(0.02) == 0.02 and add.target_rms(0.02) == 1.0
    replace.check_layers(2)  # any depth: the embeddings come first
    add.check_layers(4)
    with pytest.raises(ConfigError, match=r"^model.injection.layer: 3 is out of range for a meta-model with 3 layers"):
        add.check_layers(3)
