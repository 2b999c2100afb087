"""Compiling and checking one RASP program: ours against stock Tracr, side by side, interleaved.

Distinct sampled programs, as generation meets them (eager JAX caches compiled operations per shape, so
timing one program twice would flatter stock Tracr).

- compile: Tracr's ``compile_rasp_to_model`` as shipped (its Haiku init runs a dummy forward pass) against the
  same call with the parameter shapes taken from Tracr's model config, nothing traced, kept in NumPy
  (``patched_assembly``); the parameters are compared.
- check: the compiled model on 32 random inputs, one ``model.apply`` each in eager JAX (stock) against our
  NumPy forward, one batch per input length; the outputs are compared.

- generation: a worker filling shards of sampled programs, compiling every sample as before (repeats too)
  against skipping repeats before compiling; shard by shard, alternating, with the same seeds.

    python benchmarks/tracr_compile.py --programs 20 --shards 4
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np

from meta_lightning.weights.compile import BOS, compile_program, flat_weights, random_inputs, run
from meta_lightning.weights.programs import sample_program


def programs(n: int) -> list:
    """``n`` distinct sampled programs that generation would keep (compiled, and checked with our forward)."""
    from meta_lightning.weights.compile import compile_and_check

    rng, out = random.Random(0), []
    while len(out) < n:
        program = sample_program(rng, rng.randint(2, 4))
        if program not in out and compile_and_check(program)[1].ok:
            out.append(program)
    return out


def generation(shards: int, shard_size: int, min_ops: int, max_ops: int) -> None:
    """Seconds per kept program in one worker, compiling every sample against skipping repeats."""
    import tempfile

    from meta_lightning.weights.generation import GenerationSettings, generate_shard

    settings = GenerationSettings(programs=shards * shard_size, shard_size=shard_size, min_ops=min_ops, max_ops=max_ops)
    rows = {False: [], True: []}
    with tempfile.TemporaryDirectory() as folder:
        for shard in range(shards):
            for skip in (False, True):
                rows[skip].append(generate_shard(settings, shard, folder, skip_repeats=skip))
    print(f"\ngeneration: {shards} shards of {shard_size} programs of {min_ops}-{max_ops} ops, one worker\n"
          "| way | sampled | seconds | kept programs per second |\n|---|---|---|---|")
    for skip, name in ((False, "compile every sample (before)"), (True, "skip repeats before compiling")):
        seconds, sampled = sum(r["seconds"] for r in rows[skip]), sum(r["attempts"] for r in rows[skip])
        print(f"| {name} | {sampled} | {seconds:.0f} | {settings.programs / seconds:.1f} |")
    before, after = (sum(r["seconds"] for r in rows[k]) for k in (False, True))
    print(f"ratio: {before / after:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=20, help="Distinct sampled programs, each timed once per way.")
    parser.add_argument("--shards", type=int, default=0, help="Shards per way for the generation comparison (0: skip).")
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--min-ops", type=int, default=2)
    parser.add_argument("--max-ops", type=int, default=4)
    args = parser.parse_args()
    if args.shards:
        generation(args.shards, args.shard_size, args.min_ops, args.max_ops)
    if args.programs:
        compiling(args.programs)


def compiling(count: int) -> None:
    chosen = programs(count)  # compiled by ours (no forward pass runs there): stock starts cold
    times = {"stock compile": [], "ours compile": [], "stock check": [], "ours check": []}
    for i, program in enumerate(chosen):
        inputs = random_inputs(random.Random(i), 32)
        t = time.perf_counter()
        stock = compile_program(program, fast=False)
        times["stock compile"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ours = compile_program(program, fast=True)
        times["ours compile"].append(time.perf_counter() - t)
        assert np.array_equal(flat_weights(stock), flat_weights(ours)), "parameters differ"
        t = time.perf_counter()
        slow = [stock.apply([BOS] + x).decoded[1:] for x in inputs]
        times["stock check"].append(time.perf_counter() - t)
        t = time.perf_counter()
        fast = run(ours, inputs)
        times["ours check"].append(time.perf_counter() - t)
        assert all(np.allclose(a, b, atol=1e-2) for a, b in zip(slow, fast)), "outputs differ"
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(chosen)} distinct programs of 2-4 ops\n| step | stock Tracr (s, median) | ours (s, median) | ratio |\n"
          "|---|---|---|---|")
    for step in ("compile", "check"):
        print(f"| {step} | {med['stock ' + step]:.3f} | {med['ours ' + step]:.4f} | "
              f"{med['stock ' + step] / med['ours ' + step]:.0f}x |")


if __name__ == "__main__":
    main()
