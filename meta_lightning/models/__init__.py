"""Loading any Hugging Face model, identifying it, and finding its parts."""
from meta_lightning.models.aliases import ALIASES, DEFAULT_MODEL
from meta_lightning.models.architecture import ModelParts, find_layout
from meta_lightning.models.dtypes import resolve_dtype
from meta_lightning.models.load import LoadedModel, load_model, resolve_folder
from meta_lightning.models.spec import ArchitectureOverride, ModelSpec

__all__ = ["ALIASES", "DEFAULT_MODEL", "ArchitectureOverride", "LoadedModel", "ModelParts", "ModelSpec",
           "find_layout", "load_model", "resolve_dtype", "resolve_folder"]
