import os

# Tests never reach a hub: fail fast instead of waiting on the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

# Lightning's log handler binds to the stream it finds at import: import it now, under the session's capture,
# not first inside a test whose capsys stream closes after it (later tests then log "I/O on closed file").
import lightning.pytorch  # noqa: E402, F401
import pytest  # noqa: E402

from tests.helpers.tiny import ARCHITECTURES, tiny_loaded  # noqa: E402

SLOW_SECONDS = 5.0
"""A test over this (set-up and call together) belongs under ``@pytest.mark.slow``; the hook below names it."""
_unmarked_slow: list[tuple[str, float]] = []
_DURATION = pytest.StashKey[list]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when in ("setup", "call") and report.passed and item.get_closest_marker("slow") is None:
        item.stash.setdefault(_DURATION, [0.0])[0] += report.duration
        if report.when == "call" and item.stash[_DURATION][0] > SLOW_SECONDS:
            _unmarked_slow.append((item.nodeid, item.stash[_DURATION][0]))



def pytest_collection_modifyitems(config, items):
    """A test that needs the shared tiny fit (a real Trainer run, set up once per session) is slow."""
    for item in items:
        if "tiny_fit" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter):
    if _unmarked_slow:
        terminalreporter.section(f"tests over {SLOW_SECONDS:.0f} s without @pytest.mark.slow")
        for nodeid, seconds in sorted(_unmarked_slow, key=lambda x: -x[1]):
            terminalreporter.write_line(f"{seconds:6.1f} s  {nodeid}")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own meta_lightning cache, except tests that ask for the real default model."""
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path_factory.mktemp("ml_cache")))


@pytest.fixture
def user_cache(monkeypatch):
    """The real per-user cache that the set-up command filled (the converted default model), not the per-test one."""
    from meta_lightning.paths import default_cache_dir

    monkeypatch.delenv("META_LIGHTNING_CACHE", raising=False)
    return default_cache_dir()


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


@pytest.fixture
def no_model_loads(monkeypatch):
    """Fail the test if any model (input or meta) starts loading."""
    import meta_lightning.data.datamodule as datamodule
    import meta_lightning.meta.network as network

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the bad input was reported")

    monkeypatch.setattr(datamodule, "load_model", refuse)
    monkeypatch.setattr(network, "load_model", refuse)


@pytest.fixture
def no_amx(monkeypatch):
    """A CPU without AMX, whatever runs this: ``dtype: auto`` loads float32."""
    import meta_lightning.models.cpu_precision as cpu_precision

    monkeypatch.setattr(cpu_precision, "cpu_prefers_bf16", lambda: False)
