"""Datasets for meta-model training: behaviour activations from the cache, and their loaders."""
from meta_lightning.data.activations import BehaviorActivations, CaptureSettings, behavior_activations, cache_key

__all__ = ["BehaviorActivations", "CaptureSettings", "behavior_activations", "cache_key"]
