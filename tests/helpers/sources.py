"""An ActivationSource for tests that build a meta-model network without a datamodule."""
import torch

from meta_lightning.data.source import ActivationSource


def source(hidden_size: int, num_layers: int, statistics=None) -> ActivationSource:
    return ActivationSource("test-input", "test-fingerprint", hidden_size, num_layers, tuple(range(num_layers)),
                            torch.float32, "last", statistics)
