"""One module per command-line verb, and the table that dispatches to them.

LightningCLI's own verbs (fit, validate, test, predict) go to :mod:`meta_lightning.commands.lightning`; the
rest are listed in ``VERBS``, which also writes the ``--help`` epilog. Verb modules are imported only when
their verb runs, so ``--help`` and light verbs stay fast.
"""
from __future__ import annotations

import importlib
import sys
from typing import Optional

from meta_lightning.errors import MetaLightningError

VERBS: dict[str, tuple[str, str]] = {
    "cache": ("cache:cache_command", "`cache --config X` fills the activation cache without training (`--clean` empties it)"),
    "ask": ("ask:ask_command", "`ask --ckpt_path C --conversation conv.json --question Q` asks a trained meta-model"),
    "download": ("download:download_command", "`download [NAMES ...]` makes models ready offline"),
    "sweep": ("sweep:sweep_command", "`sweep --config experiments/ablation.yaml` runs a grid"),
    "report": ("report:report_command", "`report SWEEP_DIR` tabulates and plots a sweep"),
    "decompile": ("decompile:decompile_command",
                  "`decompile --ckpt_path C --params model.npz` writes the RASP program of a Tracr-compiled model"),
}
"""verb -> (``module:function`` under this package, one line of help)."""

EPILOG = ("Other commands: " + "; ".join(help for _, help in VERBS.values())
          + ". Run `python -m meta_lightning COMMAND --help` for options.")


def _verb(name: str):
    module, function = VERBS[name][0].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def _document_fields(argv: list[str]) -> None:
    """`--help` shows each config dataclass field's attribute docstring. Reading them parses the source of
    every class the parser knows (seconds), so only a help request pays for it."""
    import jsonargparse

    wanted = any(a in ("--help", "-h") for a in argv)
    if hasattr(jsonargparse, "set_parsing_settings"):
        jsonargparse.set_parsing_settings(docstring_parse_attribute_docstrings=wanted)
    else:  # jsonargparse < 4.44
        jsonargparse.set_docstring_parse_options(attribute_docstrings=wanted)


def config_kind(argv: list[str]) -> str:
    """``kind`` of the run: the last one set by a ``--config`` file (its ``extends:`` chain included) or
    ``--kind``; ``activations`` where none is."""
    from meta_lightning.configs import expand_extends, read_yaml_mapping

    kind, args = "activations", expand_extends(list(argv))
    for flag, value in zip(args, args[1:]):
        if flag == "--config":
            kind = read_yaml_mapping(value).get("kind", kind)
        elif flag == "--kind":
            kind = value
    return kind


def main(argv: Optional[list[str]] = None) -> None:
    """Run one command line; a user mistake exits 2 with one line, Ctrl-C exits 130 with how to resume."""
    argv = sys.argv[1:] if argv is None else list(argv)
    _document_fields(argv)
    try:
        if argv and argv[0] in VERBS:
            _verb(argv[0])(argv[1:])
        elif config_kind(argv) == "weights":
            from meta_lightning.commands.weights import WeightsCLI

            WeightsCLI(args=argv)
        else:
            from meta_lightning.commands.lightning import MetaCLI

            MetaCLI(args=argv)
    except MetaLightningError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit:
        guard = getattr(sys.modules.get(f"{__name__}.project"), "RunGuard", None)
        if guard is not None and guard.interrupted:  # Lightning's own exit after Ctrl-C inside a Trainer
            guard.interrupted = False
            _interrupted()
        raise


def _interrupted() -> None:
    print("interrupted: finished work is kept (cache shards, checkpoints, sweep cells); run the same command "
          "again to resume (fit: with --ckpt_path RUN_FOLDER/checkpoints/last.ckpt)", file=sys.stderr)
    sys.exit(130)


def run_cli(args: list[str]) -> int:
    """A command line in this process; its exit code (sweeps run their cells through it)."""
    try:
        main(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    return 0
