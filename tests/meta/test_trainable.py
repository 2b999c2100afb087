from meta_lightning.meta.trainable import attention_modules


def test_attention_mode_trains_each_blocks_attention_and_not_the_norms_named_after_it(any_arch):
    modules = attention_modules(any_arch.parts)
    names = {type(m).__name__ for m in modules}
    assert len([m for m in modules if any(True for _ in m.parameters())]) == any_arch.parts.num_layers, names
    assert not any("norm" in n.lower() for n in names), names
