"""Datasets for meta-model training: behaviour activations from the cache, and their loaders."""
from meta_lightning.data.activations import BehaviorActivations, CaptureSettings, behavior_activations, cache_key
from meta_lightning.data.datamodule import MetaDataModule
from meta_lightning.data.questions import QuestionBatch, QuestionDataset, collate

__all__ = ["BehaviorActivations", "CaptureSettings", "MetaDataModule", "QuestionBatch", "QuestionDataset", "behavior_activations",
           "cache_key", "collate"]
