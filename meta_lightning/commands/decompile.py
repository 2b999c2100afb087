"""``decompile``: a trained weight-reading meta-model writes the RASP program of a compiled model.

    python -m meta_lightning decompile --ckpt_path runs/weights/version_0/checkpoints/last.ckpt --params model.npz
    python -m meta_lightning decompile --ckpt_path ... --program reverse.rasp   # compile it first (needs the extra)

``--params``: a compiled model's parameters (``meta_lightning.weights.files.save_params``). ``--program``: RASP
code in the form the command prints; it is compiled with Tracr, and the meta-model's guess is shown beside it.
"""
from __future__ import annotations

import argparse


def decompile_command(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m meta_lightning decompile", description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", required=True, help="A checkpoint written by fit with a weights config.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--params", help="A compiled model's parameters (.npz, keys <module>/<parameter>).")
    source.add_argument("--program", help="A RASP program file to compile with Tracr, then decompile.")
    args = parser.parse_args(argv)

    from meta_lightning.weights.files import load_params
    from meta_lightning.weights.module import WeightsMetaModel
    from meta_lightning.weights.programs import describe
    from meta_lightning.weights.tokens import readable

    truth = None
    if args.program:
        from meta_lightning.weights.compile import compile_program_file

        truth, params = compile_program_file(args.program)
    else:
        params = load_params(args.params)
    model = WeightsMetaModel.from_checkpoint(args.ckpt_path)
    tokens, same = model.decompile(params)
    guess, _ = readable(tokens)
    print(guess)
    if same is not None:
        print(f"\n# compiles to the given weights: {'yes' if same else 'no (the most likely program of the beam)'}")
    if truth is not None:
        print(f"\n# the program compiled:\n{describe(truth)}\n# exact: {guess == describe(truth)}")
