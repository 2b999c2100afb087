"""`python -m meta_lightning report SWEEP_DIR`: the sweep's table (CSV, Markdown) and figure, partial sweeps too."""
from __future__ import annotations

import argparse


def report_command(argv: list[str]) -> None:
    from meta_lightning.sweep.report import collect, to_markdown, write_report

    parser = argparse.ArgumentParser(prog="python -m meta_lightning report",
                                     description="Collect every finished cell's summary.json of a sweep.")
    parser.add_argument("sweep_dir", help="the sweep directory (sweep.directory)")
    args = parser.parse_args(argv)
    paths = write_report(args.sweep_dir)
    print(to_markdown(collect(args.sweep_dir)))
    for kind, path in paths.items():
        print(f"report: {kind:<3} {path}")
