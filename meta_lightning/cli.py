"""Command line: LightningCLI's fit/validate/test/predict, plus meta_lightning's own verbs (see ``commands``)."""
from meta_lightning.commands import EPILOG, VERBS, main, run_cli

__all__ = ["EPILOG", "VERBS", "main", "run_cli"]
