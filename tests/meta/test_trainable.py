import pytest
import torch

from meta_lightning.errors import ConfigError
from meta_lightning.meta import MetaModel
from meta_lightning.meta.trainable import attention_modules, checkpoint_blocks
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source


def test_attention_mode_trains_each_blocks_attention_and_not_the_norms_named_after_it(any_arch):
    modules = attention_modules(any_arch.parts)
    names = {type(m).__name__ for m in modules}
    assert len([m for m in modules if any(True for _ in m.parameters())]) == any_arch.parts.num_layers, names
    assert not any("norm" in n.lower() for n in names), names


@pytest.mark.parametrize("injection", [{"mode": "replace"}, {"mode": "add", "layer": 1}])
def test_gradient_checkpointing_gives_the_same_loss_and_gradients(tmp_path, injection):
    folder = save_byte_model(tmp_path / "meta", "llama", 3)
    g = torch.Generator().manual_seed(0)
    batch = {"activations": [torch.randn(2, 8, generator=g) for _ in range(3)], "question": ["a?", "bb?", "c?"],
             "answer": ["Yes", "No", "Yes"]}
    results = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        m = MetaModel(meta_model={"name": str(folder)}, injection=injection,
                      prompt={"answer_format": "yes_no", "chat_template": False},
                      finetune={"lora_rank": 4, "gradient_checkpointing": checkpointing})
        m.net.build(source(8, 2), 0)
        m.net.train()
        for p in m.net.model.parameters():  # LoRA B starts at zero: give every adapter a gradient path
            if p.requires_grad:
                torch.nn.init.normal_(p, std=0.1, generator=torch.Generator().manual_seed(p.numel()))
        loss, _ = m.net.loss_and_p_yes(batch)
        loss.backward()
        grads = {n: p.grad.clone() for n, p in m.net.model.named_parameters() if p.requires_grad}
        on = any(getattr(mod, "gradient_checkpointing", False) is True for mod in m.net.model.modules())
        results.append((loss.detach(), grads, on))
    (loss0, grads0, on0), (loss1, grads1, on1) = results
    assert (on0, on1) == (False, True) and len(grads0) > 0
    assert torch.allclose(loss0, loss1, atol=1e-6)
    assert all(torch.allclose(grads0[n], grads1[n], atol=1e-6) for n in grads0)


def test_gradient_checkpointing_on_a_model_without_it_names_the_field():
    with pytest.raises(ConfigError, match="model.finetune.gradient_checkpointing: Linear does not support"):
        checkpoint_blocks(torch.nn.Linear(2, 2))
