"""`python -m meta_lightning download [NAMES ...]`: make models ready offline (convert once, cache)."""
from __future__ import annotations

import argparse


def download_command(argv: list[str]) -> None:
    from meta_lightning.download import download
    from meta_lightning.models import DEFAULT_MODEL

    parser = argparse.ArgumentParser(prog="python -m meta_lightning download", description=download.__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=[DEFAULT_MODEL],
                        help="aliases, .gguf files, local folders or hub ids (default: %(default)s)")
    parser.add_argument("--cache_dir", help="cache folder (default: $META_LIGHTNING_CACHE or ~/.cache/meta_lightning)")
    parser.add_argument("--trust_remote_code", action="store_true", help="allow models that ship their own code")
    args = parser.parse_args(argv)
    download(args.names, args.cache_dir, args.trust_remote_code)
