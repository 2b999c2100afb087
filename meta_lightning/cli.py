"""Command line: LightningCLI's fit/validate/test/predict, plus meta_lightning's own verbs."""
from __future__ import annotations

import sys
from typing import Callable, Optional

from meta_lightning.errors import MetaLightningError

EPILOG = ("Other commands: `cache --config X` fills the activation cache without training (`--clean` empties it); "
          "`ask --ckpt_path C --conversation conv.json --question Q` asks a trained meta-model; "
          "`download [NAMES ...]` makes models ready offline; `sweep --config experiments/ablation.yaml` runs a grid "
          "and `report SWEEP_DIR` tabulates and plots it. Run `python -m meta_lightning COMMAND --help` for options.")


def _download(argv: list[str]) -> None:
    import argparse

    from meta_lightning.download import download
    from meta_lightning.models import DEFAULT_MODEL

    parser = argparse.ArgumentParser(prog="python -m meta_lightning download", description=download.__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=[DEFAULT_MODEL],
                        help="aliases, .gguf files, local folders or hub ids (default: %(default)s)")
    parser.add_argument("--cache_dir", help="cache folder (default: $META_LIGHTNING_CACHE or ~/.cache/meta_lightning)")
    parser.add_argument("--trust_remote_code", action="store_true", help="allow models that ship their own code")
    args = parser.parse_args(argv)
    download(args.names, args.cache_dir, args.trust_remote_code)


def _cache(argv: list[str]) -> None:
    from meta_lightning.commands.cache import cache_command

    cache_command(argv)


def _ask(argv: list[str]) -> None:
    from meta_lightning.commands.ask import ask_command

    ask_command(argv)


def _sweep(argv: list[str]) -> None:
    from meta_lightning.commands.sweep import sweep_command

    sweep_command(argv)


def _report(argv: list[str]) -> None:
    from meta_lightning.commands.report import report_command

    report_command(argv)


EXTRA_COMMANDS: dict[str, Callable[[list[str]], None]] = {"download": _download, "cache": _cache, "ask": _ask,
                                                          "sweep": _sweep, "report": _report}


def _lightning(argv: list[str]) -> None:
    from meta_lightning.commands.lightning import MetaCLI

    MetaCLI(args=argv)


def _document_fields() -> None:
    """`--help` shows each config dataclass field's attribute docstring (jsonargparse leaves this off by default)."""
    import jsonargparse

    if hasattr(jsonargparse, "set_parsing_settings"):
        jsonargparse.set_parsing_settings(docstring_parse_attribute_docstrings=True)
    else:  # jsonargparse < 4.44
        jsonargparse.set_docstring_parse_options(attribute_docstrings=True)


def main(argv: Optional[list[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    _document_fields()
    try:
        if argv and argv[0] in EXTRA_COMMANDS:
            EXTRA_COMMANDS[argv[0]](argv[1:])
        else:
            _lightning(argv)
    except MetaLightningError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
