"""The meta-model: prompts with placeholders, the projector, injection, and the LightningModule."""
from meta_lightning.meta.module import MetaModel
from meta_lightning.meta.projector import Projector
from meta_lightning.meta.prompt import PromptBuilder

__all__ = ["MetaModel", "Projector", "PromptBuilder"]
