import os

# Tests never reach a hub: fail fast instead of waiting on the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import pytest  # noqa: E402

from tests.helpers.tiny import ARCHITECTURES, tiny_loaded  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own meta_lightning cache, except tests that ask for the real default model."""
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path_factory.mktemp("ml_cache")))


@pytest.fixture(params=sorted(ARCHITECTURES))
def any_arch(request):
    return tiny_loaded(request.param)
