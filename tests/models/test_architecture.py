import pytest
from torch import nn

from meta_lightning.errors import ConfigError
from meta_lightning.models import ArchitectureOverride, find_layout
from meta_lightning.models.architecture import TABLE
from tests.helpers.tiny import ARCHITECTURES, tiny_model


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_table_finds_blocks_embeddings_and_norm(arch):
    model = tiny_model(arch)
    parts = find_layout(model)
    assert parts.num_layers == 4 and all(isinstance(b, nn.Module) for b in parts.layers)
    assert parts.embeddings is model.get_input_embeddings()
    assert (parts.final_norm is None) == (arch == "bert")


@pytest.mark.parametrize("arch", ["llama", "gpt2", "gpt_neox", "phi"])
def test_base_model_without_lm_head_is_found_too(arch):
    parts = find_layout(tiny_model(arch).base_model)
    assert parts.num_layers == 4 and parts.final_norm is not None


def test_generic_fallback_for_unlisted_architecture(monkeypatch):
    model = tiny_model("phi3")
    monkeypatch.delitem(TABLE, "phi3")
    parts = find_layout(model)
    assert parts.layout.layers == "model.layers" and parts.layout.final_norm == "model.norm"
    assert parts.final_norm is model.model.norm


def test_peft_wrapped_model_is_unwrapped():
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(tiny_model("llama"), LoraConfig(r=2, target_modules=["q_proj"]))
    assert find_layout(model).num_layers == 4


def test_override_wins_and_wrong_override_is_named(monkeypatch):
    model = tiny_model("llama")
    monkeypatch.setitem(TABLE, "llama", TABLE["gpt2"])  # a wrong table entry
    with pytest.raises(ConfigError, match="model.architecture.layers: the architecture table entry for 'llama' says"):
        find_layout(model)
    parts = find_layout(model, ArchitectureOverride(layers="model.layers", final_norm="model.norm"))
    assert parts.layers is model.model.layers
    with pytest.raises(ConfigError, match="model.architecture.final_norm: model.architecture names 'model.nope'"):
        find_layout(model, ArchitectureOverride(layers="model.layers", final_norm="model.nope"))
