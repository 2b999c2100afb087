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


@pytest.fixture(scope="session")
def tiny_fit(tmp_path_factory):
    """One tiny fit through the real CLI, shared by every test that reads a trained run: (folder, config, stdout)."""
    import contextlib
    import io

    from meta_lightning.cli import main
    from tests.helpers.runs import tiny_run_config

    folder = tmp_path_factory.mktemp("tiny_fit")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("META_LIGHTNING_CACHE", str(folder / "cache"))
        main(["fit", "--config", str(tiny_run_config(folder))])
    return folder, folder / "tiny.yaml", out.getvalue()
