import pytest
import torch

from meta_lightning.errors import ConfigError
from meta_lightning.models.dtypes import resolve_dtype


def test_policy():
    assert resolve_dtype("auto", "cpu") == torch.float32
    assert resolve_dtype("auto", "cuda") == torch.bfloat16
    assert resolve_dtype("bf16", "cuda") == torch.bfloat16
    assert resolve_dtype("float32", "cuda") == torch.float32


@pytest.mark.parametrize("name", ["bf16", "float16"])
def test_half_precision_on_cpu_is_refused(name):
    with pytest.raises(ConfigError, match="meta_model.dtype: .* on CPU is far slower than float32"):
        resolve_dtype(name, "cpu", field="meta_model.dtype")


def test_unknown_dtype():
    with pytest.raises(ConfigError, match="dtype: unknown dtype 'int3'"):
        resolve_dtype("int3")
