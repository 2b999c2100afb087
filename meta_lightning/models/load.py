"""One entry point from a :class:`ModelSpec` to a ready model, its tokenizer and its fingerprint."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Optional, Union

import torch

from meta_lightning.errors import ConfigError
from meta_lightning.models.aliases import ALIASES, packaged_path
from meta_lightning.models.architecture import ENCODER_TYPES, ModelParts, find_layout
from meta_lightning.models.dtypes import resolve_dtype
from meta_lightning.models.fingerprint import folder_weights_digest, model_fingerprint, state_dict_digest
from meta_lightning.models.gguf import convert_gguf
from meta_lightning.models.spec import ArchitectureOverride, ModelSpec
from meta_lightning.paths import resolve_cache_dir

log = logging.getLogger(__name__)

_HUB_FILES = ["*.json", "*.safetensors", "*.py", "*.model", "*.txt", "*.tiktoken", "*.jinja"]


@dataclass
class LoadedModel:
    """A model with everything the rest of the package needs to know about it."""

    model: torch.nn.Module
    tokenizer: object
    fingerprint: str
    name: str
    folder: Optional[Path] = None
    architecture: Optional[ArchitectureOverride] = field(default=None, repr=False)

    @cached_property
    def parts(self) -> ModelParts:
        return find_layout(self.model, self.architecture)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @classmethod
    def from_objects(cls, model, tokenizer, name: str = "in-memory", architecture=None) -> "LoadedModel":
        """Wrap a model built in code (tests, notebooks); its fingerprint hashes the tensors."""
        _ensure_pad_token(tokenizer)
        return cls(model.eval(), tokenizer, model_fingerprint(state_dict_digest(model), tokenizer), name,
                   architecture=architecture)


def _looks_like_path(name: str) -> bool:
    """Relative or absolute paths; a bare ``org/name`` is a hub id."""
    return name.startswith((".", "/", "~")) or name.endswith(".gguf")


def resolve_folder(spec: ModelSpec, field: str = "model") -> Path:
    """Turn ``spec.name`` into a local HF folder, converting a GGUF or fetching from the hub if needed."""
    name = spec.name
    cache_dir = resolve_cache_dir(spec.cache_dir)
    if name in ALIASES:
        alias = ALIASES[name]
        path = packaged_path(alias)
        if path is not None:
            return convert_gguf(path, cache_dir, f"{field}.name") if path.suffix == ".gguf" else path
        try:
            return _hub_snapshot(alias.hub_id, spec.revision)
        except Exception as e:  # hub down, offline, not cached: all mean the same to the user
            raise ConfigError(f"{field}.name", f"built-in model {name!r} is not installed and the hub copy "
                              f"{alias.hub_id} could not be loaded ({type(e).__name__})",
                              f"Install it with: {alias.install}") from e
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ConfigError(f"{field}.name", f"GGUF file {name} does not exist", "Check the path")
        return convert_gguf(path.resolve(), cache_dir, f"{field}.name")
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"{field}.name", f"folder {name} is not a Hugging Face model (no config.json)",
                              "Point it at a folder written by save_pretrained")
        return path.resolve()
    if _looks_like_path(name) or path.exists():
        raise ConfigError(f"{field}.name", f"path {name} does not exist", "Check the path")
    try:
        return _hub_snapshot(name, spec.revision)
    except Exception as e:
        known = ", ".join(sorted(ALIASES))
        raise ConfigError(f"{field}.name", f"{name!r} is not a built-in alias ({known}), a .gguf file or a local folder, "
                          f"and the hub could not provide it ({type(e).__name__}: {str(e).splitlines()[0][:160]})",
                          "Fix the name, or download the model while online") from e


def _hub_snapshot(repo_id: str, revision: Optional[str]) -> Path:
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=_HUB_FILES))
    if not any(folder.glob("*.safetensors")):  # older repos ship only pickled weights
        folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=_HUB_FILES + ["*.bin"]))
    return folder


def _read_config(folder: Path, field: str) -> dict:
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(f"{field}.name", f"cannot read {folder / 'config.json'} ({e})", "Re-download the model") from e


def _check_loadable(config: dict, spec: ModelSpec, causal_lm: bool, field: str) -> bool:
    """Refuse early, with a clear message, what transformers would refuse deep inside. Returns: is it a causal LM."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    model_type = config.get("model_type", "?")
    auto_map = config.get("auto_map") or {}
    remote = model_type not in CONFIG_MAPPING_NAMES
    if remote and auto_map and not spec.trust_remote_code:
        raise ConfigError(f"{field}.trust_remote_code", f"{spec.name!r} ({model_type}) needs the code in its repository",
                          f"Set {field}.trust_remote_code: true if you trust that code")
    if remote and not auto_map:
        raise ConfigError(f"{field}.name", f"model_type {model_type!r} is unknown to transformers and the folder has no auto_map",
                          "Upgrade transformers, or use a model with remote code and trust_remote_code: true")
    if remote:
        is_causal = "AutoModelForCausalLM" in auto_map
    else:
        is_causal = model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and (
            model_type not in ENCODER_TYPES or bool(config.get("is_decoder")))
    if causal_lm and not is_causal:
        raise ConfigError(f"{field}.name", f"{spec.name!r} is a {model_type!r} model, not a causal LM",
                          "The meta-model must be a causal LM (AutoModelForCausalLM); pick a decoder model")
    return is_causal


def _ensure_pad_token(tokenizer) -> None:
    # Capture masks padding out, so any id works; eos is the conventional choice.
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token


def _layer_count(folder: Path, spec: ModelSpec, field: str) -> Optional[int]:
    """The number of transformer blocks from the model's config alone (no weights read), or None if unstated."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=spec.trust_remote_code)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{field}.name", f"cannot read the config of {folder} ({type(e).__name__})",
                          "Check that the folder is complete") from e
    config = getattr(config, "text_config", None) or config
    value = getattr(config, "num_hidden_layers", None)
    return value if isinstance(value, int) else None


def config_layer_count(spec: ModelSpec, field: str) -> Optional[int]:
    """The block count of ``spec``'s model from its config alone (no weights read), or None if unstated."""
    return _layer_count(resolve_folder(spec, field), spec, field)


def load_model(spec: Union[ModelSpec, str], *, device: Union[str, torch.device] = "cpu", causal_lm: bool = True,
               field: str = "model", check_layers: Optional[Callable[[int], object]] = None) -> LoadedModel:
    """Load ``spec`` on ``device`` in the dtype policy's dtype, in eval mode.

    ``causal_lm=True`` refuses encoders (the meta-model must generate); input-models may be any HF model.
    ``field`` is the config path used in error messages (e.g. ``input_model``).
    ``check_layers`` gets the config's layer count before any weight is read, so a bad layer index fails
    before an 8B model spends minutes loading.
    """
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    if isinstance(spec, str):
        spec = ModelSpec(name=spec)
    dtype = resolve_dtype(spec.dtype, device, f"{field}.dtype")
    folder = resolve_folder(spec, field)
    is_causal = _check_loadable(_read_config(folder, field), spec, causal_lm, field)
    if check_layers is not None and (count := _layer_count(folder, spec, field)) is not None:
        check_layers(count)
    auto = AutoModelForCausalLM if is_causal else AutoModel
    try:
        model = auto.from_pretrained(folder, dtype=dtype, trust_remote_code=spec.trust_remote_code)
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=spec.trust_remote_code)
    except (OSError, ValueError, RuntimeError) as e:
        reason = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        raise ConfigError(f"{field}.name", f"transformers could not load {folder} ({reason})",
                          "Check that the folder is complete and matches the installed transformers") from e
    _ensure_pad_token(tokenizer)
    model.to(device).eval()
    fingerprint = model_fingerprint(folder_weights_digest(folder, resolve_cache_dir(spec.cache_dir)), tokenizer)
    loaded = LoadedModel(model, tokenizer, fingerprint, spec.name, folder, spec.architecture)
    _ = loaded.parts  # find blocks now, so a wrong layout fails at load time
    return loaded
