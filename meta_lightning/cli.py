"""Command line: LightningCLI's fit/validate/test/predict, plus meta_lightning's own verbs."""
from __future__ import annotations

import sys
from typing import Callable, Optional

from meta_lightning.errors import MetaLightningError

EPILOG = ("Other commands: `download [NAMES ...]` makes models ready to load offline. "
          "Run `python -m meta_lightning COMMAND --help` for a command's options.")


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


EXTRA_COMMANDS: dict[str, Callable[[list[str]], None]] = {"download": _download}


def _lightning(argv: list[str]) -> None:
    from lightning.pytorch import LightningDataModule, LightningModule
    from lightning.pytorch.cli import LightningCLI

    LightningCLI(LightningModule, LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                 args=argv, parser_kwargs={"prog": "python -m meta_lightning", "epilog": EPILOG})


def main(argv: Optional[list[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] in EXTRA_COMMANDS:
            EXTRA_COMMANDS[argv[0]](argv[1:])
        else:
            _lightning(argv)
    except MetaLightningError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
