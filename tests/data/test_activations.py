import pytest
import torch

from meta_lightning.behaviors import REGISTRY, get_behavior
from meta_lightning.cache import ActivationCache
from meta_lightning.capture import ActivationCapturer, encode_chat
from meta_lightning.data import CaptureSettings, behavior_activations
from tests.helpers.tiny import byte_loaded

SETTINGS = CaptureSettings(layers=[1, -1], positions="last", batch_size=4)


@pytest.fixture(scope="module")
def loaded():
    """A tiny Llama with a real (byte-level) tokenizer, so every behaviour's text encodes."""
    return byte_loaded("llama")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_behavior_captures_caches_and_reloads_with_zero_forwards(name, loaded, tmp_path):
    behavior = get_behavior(name)
    cache = ActivationCache(tmp_path)
    n = 2 * len(behavior.classes)
    first = ActivationCapturer(loaded, [1, -1], "last", batch_size=4)
    a = behavior_activations(loaded, behavior, "val", n, 0, SETTINGS, cache, capturer=lambda: first)
    assert first.stats.forwards > 0 and len(a.activations) == n
    assert a.activations[0].shape == (2, 1, 64)
    # The activations are those of the conversations, in order.
    direct = ActivationCapturer(loaded, [1, -1]).capture([encode_chat(loaded.tokenizer, a.conversations[-1].messages)])
    assert torch.allclose(direct.activations[0], a.activations[-1], rtol=1e-5, atol=1e-6)
    second = ActivationCapturer(loaded, [1, -1], "last", batch_size=4)
    b = behavior_activations(loaded, behavior, "val", n, 0, SETTINGS, cache, capturer=lambda: second)
    assert second.stats.forwards == 0
    assert all(torch.equal(x, y) for x, y in zip(a.activations, b.activations))


def test_changing_a_setting_seed_or_recipe_makes_a_new_entry(loaded, tmp_path):
    behavior = get_behavior("sentiment")
    cache = ActivationCache(tmp_path)
    behavior_activations(loaded, behavior, "val", 4, 0, SETTINGS, cache)
    for settings, seed, b in ((CaptureSettings(layers=[2], positions="last"), 0, behavior),
                              (CaptureSettings(layers=[1, -1], positions="last:2"), 0, behavior),
                              (SETTINGS, 1, behavior), (SETTINGS, 0, get_behavior("sentiment", k=2))):
        key_before = len(list((tmp_path / "activations").glob("*/complete.json")))
        behavior_activations(loaded, b, "val", 4, seed, settings, cache)
        assert len(list((tmp_path / "activations").glob("*/complete.json"))) == key_before + 1
