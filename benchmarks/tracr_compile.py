"""Compiling and checking one RASP program: ours against stock Tracr, side by side, interleaved.

Distinct sampled programs, as generation meets them (eager JAX caches compiled operations per shape, so
timing one program twice would flatter stock Tracr).

- compile: Tracr's ``compile_rasp_to_model`` as shipped (its Haiku init runs a dummy forward pass) against the
  same call with parameter shapes from ``jax.eval_shape`` (``patched_assembly``); the parameters are compared.
- check: the compiled model on 32 random inputs, one ``model.apply`` each in eager JAX (stock) against our
  NumPy forward, one batch per input length; the outputs are compared.

    python benchmarks/tracr_compile.py --programs 20
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=20, help="Distinct sampled programs, each timed once per way.")
    args = parser.parse_args()
    chosen = programs(args.programs)  # compiled by ours (no forward pass runs there): stock starts cold
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
