import dataclasses
import errno
import multiprocessing
import time

import pytest
import torch

from meta_lightning.cache import ActivationCache, CacheKey, CacheWriteError
from meta_lightning.cache import store as store_module

KEY = CacheKey(model_fingerprint="f" * 64, recipe={"behavior": "sentiment", "version": 1, "seed": 0, "k": 3},
               split="train", layers=(8, 15), positions="last", dtype="float32")
N = 10


def activation(i: int) -> torch.Tensor:
    return torch.full((2, 1, 4), float(i)) + torch.arange(4.0)


class Counter:
    """A stand-in for the input-model: counts how many examples it was asked to capture."""

    def __init__(self, fail_after: int | None = None):
        self.examples, self.calls, self.fail_after = 0, 0, fail_after

    def __call__(self, indices):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls += 1
        self.examples += len(indices)
        return [activation(i) for i in indices]


def fill(cache, counter, n=N, key=KEY):
    return cache.entry(key).fill(n, counter, bytes_per_example=2 * 4 * 4)


def small_cache(tmp_path):
    return ActivationCache(tmp_path, shard_bytes=3 * 32)  # three examples per shard


def test_round_trip_and_second_run_captures_nothing(tmp_path):
    cache = small_cache(tmp_path)
    first = Counter()
    out = fill(cache, first)
    assert first.examples == N and all(torch.equal(t, activation(i)) for i, t in enumerate(out))
    again = Counter()
    out2 = fill(cache, again)
    assert again.examples == 0 and again.calls == 0
    assert all(torch.equal(a, b) for a, b in zip(out, out2))
    entry = cache.entry(KEY)
    assert entry.is_complete() and (entry.path / "manifest.json").is_file()


def test_shards_are_bounded(tmp_path):
    cache = small_cache(tmp_path)
    fill(cache, Counter())
    shards = sorted(cache.entry(KEY).path.glob("shard-*.safetensors"))
    assert len(shards) == 4  # 10 examples, 3 per shard


@pytest.mark.parametrize("change", [
    {"model_fingerprint": "e" * 64}, {"recipe": {**KEY.recipe, "version": 2}}, {"recipe": {**KEY.recipe, "seed": 1}},
    {"recipe": {**KEY.recipe, "k": 4}}, {"split": "val"}, {"layers": (8, 16)}, {"positions": "last:2"}, {"dtype": "bfloat16"},
])
def test_every_key_field_misses_the_cache(tmp_path, change):
    cache = small_cache(tmp_path)
    fill(cache, Counter())
    changed = dataclasses.replace(KEY, **change)
    assert changed.digest() != KEY.digest()
    counter = Counter()
    fill(cache, counter, key=changed)
    assert counter.examples == N


def test_interrupted_fill_resumes_from_finished_shards(tmp_path):
    cache = small_cache(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        fill(cache, Counter(fail_after=2))
    entry = cache.entry(KEY)
    assert not entry.is_complete() and cache.entry(KEY).load() is None
    resumed = Counter()
    out = fill(cache, resumed)
    assert resumed.examples == N - 6  # two shards of three survived
    assert all(torch.equal(t, activation(i)) for i, t in enumerate(out))


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_shard_is_quarantined_and_recomputed(tmp_path, damage, capsys):
    cache = small_cache(tmp_path)
    fill(cache, Counter())
    shard = sorted(cache.entry(KEY).path.glob("shard-*.safetensors"))[1]
    data = bytearray(shard.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[-5] ^= 0xFF  # same size, one value changed
    shard.write_bytes(bytes(data))
    again = Counter()
    out = fill(cache, again)
    assert again.examples == 3  # only the damaged shard's examples
    assert all(torch.equal(t, activation(i)) for i, t in enumerate(out))
    assert "truncated, altered or unrecorded shard" in capsys.readouterr().out
    assert len(list((tmp_path / "quarantine").iterdir())) == 1


def test_manifest_that_does_not_match_its_key_is_quarantined(tmp_path, capsys):
    cache = small_cache(tmp_path)
    fill(cache, Counter())
    manifest = cache.entry(KEY).path / "manifest.json"
    manifest.write_text(manifest.read_text().replace("sentiment", "emotion"))
    again = Counter()
    fill(cache, again)
    assert again.examples == N
    assert "manifest does not match its key" in capsys.readouterr().out


def test_full_disk_names_the_path_and_leaves_nothing_complete(tmp_path, monkeypatch):
    cache = small_cache(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.tmp"))

    monkeypatch.setattr(store_module, "save_file", full)
    with pytest.raises(CacheWriteError, match=r"cache_dir: cannot write .*x.tmp \(No space left on device\)"):
        fill(cache, Counter())
    assert not cache.entry(KEY).is_complete()


def test_unwritable_cache_dir_is_named(tmp_path):
    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    with pytest.raises(CacheWriteError, match="cache_dir: cannot write .*blocked"):
        fill(ActivationCache(tmp_path / "blocked"), Counter())


def _fill_in_child(root, counts):
    def slow(indices):
        time.sleep(0.05)
        counts.put(len(indices))
        return [activation(i) for i in indices]
    out = ActivationCache(root, shard_bytes=96).entry(KEY).fill(N, slow, bytes_per_example=32)
    assert all(torch.equal(t, activation(i)) for i, t in enumerate(out))


def test_two_processes_filling_one_key_never_corrupt_it(tmp_path):
    ctx = multiprocessing.get_context("fork")
    counts = ctx.Queue()
    procs = [ctx.Process(target=_fill_in_child, args=(tmp_path, counts)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    captured = 0
    while not counts.empty():
        captured += counts.get()
    assert captured == N  # one process captured, the other waited and read
    assert small_cache(tmp_path).entry(KEY).load() is not None


def test_clean_removes_unfinished_and_quarantine(tmp_path):
    cache = small_cache(tmp_path)
    fill(cache, Counter())
    with pytest.raises(KeyboardInterrupt):
        fill(cache, Counter(fail_after=1), key=dataclasses.replace(KEY, split="val"))
    removed = cache.clean()
    assert [p.name for p in removed] == [dataclasses.replace(KEY, split="val").digest()]
    assert cache.entry(KEY).is_complete()
    assert cache.clean(everything=True)
