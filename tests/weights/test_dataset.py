import random

import numpy as np
import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.weights import tracr_available
from meta_lightning.weights.datamodule import WeightsDataModule, collate
from meta_lightning.weights.programs import sample_program
from meta_lightning.weights.tokens import ID, PAD, encode

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')
SMALL = {"programs": 16, "shard_size": 8, "max_ops": 3, "checks": 16}


def test_a_batch_pads_vectors_and_tokens_and_masks_them():
    import torch

    def item(n, tokens, length, name):
        return {"vectors": torch.ones(n, 4), "extent": torch.ones(n, 4, dtype=torch.bool), "slots": torch.arange(n),
                "tokens": torch.tensor(tokens), "length": length, "size": 10 * n, "name": name,
                "dataset": "test"}

    batch = collate([item(2, [1, 5, 2], 1, ""), item(3, [1, 5, 6, 7, 2], 2, "x")])
    assert batch["vectors"].shape == (2, 3, 4) and batch["vector_mask"].tolist() == [[True, True, False], [True] * 3]
    assert batch["slots"].tolist() == [[0, 1, 0], [0, 1, 2]] and not batch["extent"][0, 2].any()
    assert batch["tokens"][0].tolist() == [1, 5, 2, ID[PAD], ID[PAD]] and batch["token_mask"].sum().item() == 8
    assert batch["dataset"] == "test" and batch["name"] == ["", "x"] and batch["size"] == [20, 30]


@pytest.mark.parametrize("options, needle", [
    ({"encoding": {"rows": 0}}, "data.encoding.rows: must be at least 1"),
    ({"encoding": {"kind": "pixels"}}, "data.encoding.kind: unknown value 'pixels'. Use matrices, circuits or chunks"),
    ({"generation": {"min_ops": 3, "max_ops": 2}}, "data.generation.max_ops: 2 is below min_ops 3"),
    ({"encoding": {"kind": "chunks", "chunk_size": 16, "max_chunks": 4}},
     "data.encoding.max_chunks: 4 chunks of 16 hold fewer than generation.max_params"),
])
def test_bad_settings_are_named_before_anything_is_generated(options, needle):
    with pytest.raises(ConfigError, match="^" + needle):
        WeightsDataModule(**options)


@needs_tracr
@pytest.mark.slow
def test_generation_is_cached_by_content_resumes_shards_and_splits_without_overlap(tmp_path, capsys):
    from meta_lightning.weights.dataset import read_splits
    from meta_lightning.weights.generation import GenerationSettings, generate
    from meta_lightning.weights.layout import dims_of, unflatten
    from meta_lightning.weights.programs import HELD_OUT

    settings = GenerationSettings(**SMALL)
    folder = generate(settings, str(tmp_path), workers=1)
    shards = sorted(folder.glob("shard_*.npz"))
    out = capsys.readouterr()
    assert len(shards) == 2 and "generating 2 of 2 shards" in out.out
    assert "weights: generated 16 programs from " in out.out and "programs kept: 100%" in out.err  # the bar
    before = {p.name: p.read_bytes() for p in shards}
    shards[1].unlink()  # an interrupted run: the missing shard is made again, the same as before
    assert generate(settings, str(tmp_path), workers=1) == folder
    assert "generating 1 of 2 shards" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in sorted(folder.glob("shard_*.npz"))} == before
    assert generate(GenerationSettings(**{**SMALL, "seed": 1}), str(tmp_path), workers=1) != folder
    splits = read_splits(folder)
    seen = [tuple(t.tolist()) for s in splits.values() for t in s.tokens]
    assert len(seen) == len(set(seen)) and 0 < len(seen) <= 16
    for split in splits.values():  # each model's stored sizes read its flat weights back as whole matrices
        assert all(dims_of(unflatten(w, d)) == d for w, d in zip(split.weights, split.dims))
    assert not set(seen) & {tuple(encode(p)) for p in HELD_OUT.values()}
    # a canvas too small for every program is named, not an empty training set
    tiny = WeightsDataModule(generation=SMALL, encoding={"rows": 4}, cache_dir=str(tmp_path), workers=1)
    with pytest.raises(ConfigError, match="^data.encoding: none of the .* programs fits it"):
        tiny.setup("fit")


@needs_tracr
@pytest.mark.slow
def test_a_larger_set_extends_a_smaller_one_and_reads_back_only_what_was_asked(tmp_path, capsys):
    from meta_lightning.weights.dataset import read_splits
    from meta_lightning.weights.generation import GenerationSettings, generate, programs_held

    def tokens(splits):
        return sorted(tuple(t.tolist()) for s in splits.values() for t in s.tokens)

    small = generate(GenerationSettings(**{**SMALL, "programs": 12}), str(tmp_path), workers=1)
    assert [programs_held(p) for p in sorted(small.glob("shard_*.npz"))] == [8, 4]
    first = small.joinpath("shard_00000.npz").read_bytes()
    capsys.readouterr()
    large = generate(GenerationSettings(**{**SMALL, "programs": 24}), str(tmp_path), workers=1)
    assert large == small and "generating 2 of 3 shards" in capsys.readouterr().out  # the short shard, made whole
    assert small.joinpath("shard_00000.npz").read_bytes() == first
    assert [programs_held(p) for p in sorted(large.glob("shard_*.npz"))] == [8, 8, 8]
    alone = generate(GenerationSettings(**{**SMALL, "programs": 12}), str(tmp_path / "alone"), workers=1)
    assert tokens(read_splits(large, 12)) == tokens(read_splits(alone, 12))  # the 12 a smaller run would read
    assert len(tokens(read_splits(large, 24))) > len(tokens(read_splits(large, 12)))


@needs_tracr
@pytest.mark.slow
def test_a_damaged_shard_is_named_with_the_fix(tmp_path):
    from meta_lightning.weights.dataset import read_splits
    from meta_lightning.weights.generation import GenerationSettings, generate

    folder = generate(GenerationSettings(**SMALL), str(tmp_path), workers=1)
    (folder / "shard_00000.npz").write_bytes(b"not a shard")
    with pytest.raises(ConfigError, match=r"^data.cache_dir: shard .*shard_00000.npz is unreadable .*Delete it"):
        read_splits(folder)


def test_the_sampling_seed_sets_the_batch_order_alone():
    from meta_lightning.weights.datamodule import ProgramDataset
    from meta_lightning.weights.dataset import ProgramSet
    from meta_lightning.weights.files import flatten
    from meta_lightning.weights.layout import Dims
    from tests.helpers.params import random_params

    dims = Dims(1, 5, 2, 3)
    programs = ProgramSet([flatten(random_params(dims, s)) for s in range(12)], [dims] * 12,
                          [np.array(encode(sample_program(random.Random(s), 2))) for s in range(12)], [""] * 12)

    def order(seed):
        dm = WeightsDataModule(batch_size=4, sampling_seed=seed)
        dm.datasets["train"] = ProgramDataset("train", programs, dm.encoding)
        return [[tuple(x for x in t if x != ID[PAD]) for t in b["tokens"].tolist()] for b in dm.train_dataloader()]

    assert order(1) == order(1) and order(1) != order(2)
    assert sorted(t for b in order(1) for t in b) == sorted(t for b in order(2) for t in b)  # the same programs


def test_a_training_subset_is_the_first_programs_and_asking_too_many_is_named():
    from meta_lightning.weights.dataset import ProgramSet
    from meta_lightning.weights.layout import Dims

    programs = ProgramSet([np.zeros(2)] * 3, [Dims(1, 2, 3, 4)] * 3, [np.array([1, 2])] * 3, ["a", "b", "c"])
    assert programs.first(2, "data.train_programs").names == ["a", "b"]
    with pytest.raises(ConfigError, match="^data.train_programs: 4 programs asked, but the training split holds 3"):
        programs.first(4, "data.train_programs")
    with pytest.raises(ConfigError, match="^data.train_programs: must be at least 1, got 0"):
        WeightsDataModule(train_programs=0)


def test_sampled_programs_the_canvas_cannot_hold_are_left_out_and_counted():
    from meta_lightning.weights.dataset import ProgramSet
    from meta_lightning.weights.encoding import Encoding
    from meta_lightning.weights.layout import Dims

    small, wide = Dims(2, 20, 7, 12), Dims(2, 90, 7, 12)  # 90 residual rows: more than the canvas's 72
    programs = ProgramSet([np.zeros(1)] * 3, [small, wide, small], [np.array([1, 2])] * 3, ["a", "b", "c"])
    kept, skipped = programs.fitting(Encoding(rows=72))
    assert kept.names == ["a", "c"] and skipped == 1
