"""`python -m meta_lightning cache --config X`: fill a run's cache without training: the activation cache, or
for a ``kind: weights`` config the compiled-program dataset."""
from __future__ import annotations

import time


def cache_command(argv: list[str]) -> None:
    if "--clean" in argv:
        _clean(argv)
        return
    from meta_lightning.commands import config_kind

    if config_kind(argv) == "weights":
        _programs(argv)
        return
    from meta_lightning.commands.lightning import MetaCLI

    start = time.perf_counter()
    cli = MetaCLI(args=argv, run=False)  # parse and build; the meta-model loads only in configure_model
    dm = cli.datamodule
    dm.use_meta_model(cli.model.net)  # input_model: same captures from the meta-model's base weights
    dm.prepare_data() if dm.use_cache else dm.setup()
    print(f"cache: done in {time.perf_counter() - start:.1f} s (including model loading); "
          f"input-model tokens processed: {dm.capture_report.tokens:,}", flush=True)


def _programs(argv: list[str]) -> None:
    from meta_lightning.commands.weights import WeightsCLI
    from meta_lightning.weights.dataset import read_splits
    from meta_lightning.weights.generation import generate

    start = time.perf_counter()
    dm = WeightsCLI(args=argv, run=False).datamodule
    folder = generate(dm.generation, dm.cache_dir, dm.workers)
    sizes = ", ".join(f"{name} {len(programs)}" for name, programs in read_splits(folder, dm.generation.programs).items())
    print(f"cache: done in {time.perf_counter() - start:.1f} s; programs in {folder}: {sizes}", flush=True)


def _clean(argv: list[str]) -> None:
    import argparse

    from meta_lightning.cache import ActivationCache
    from meta_lightning.paths import resolve_cache_dir

    parser = argparse.ArgumentParser(prog="python -m meta_lightning cache --clean")
    parser.add_argument("--clean", action="store_true", help="delete unfinished entries and quarantined shards")
    parser.add_argument("--everything", action="store_true", help="delete every cached activation too")
    parser.add_argument("--cache_dir", help="cache folder (default: $META_LIGHTNING_CACHE or ~/.cache/meta_lightning)")
    args = parser.parse_args(argv)
    root = resolve_cache_dir(args.cache_dir)
    removed = ActivationCache(root).clean(everything=args.everything)
    print(f"cache: removed {len(removed)} folder(s) under {root}")
