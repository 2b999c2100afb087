"""One exception type for every mistake a user can make, printed as one line by the CLI."""
from __future__ import annotations


class MetaLightningError(ValueError):
    """A user-facing error: the message names the field at fault and how to fix it."""


class ConfigError(MetaLightningError):
    """A bad value in a config field.

    The message reads ``<field>: <problem>. <fix>`` so it can be acted on without a traceback.
    """

    def __init__(self, field: str, problem: str, fix: str = ""):
        self.field = field
        self.problem = problem
        self.fix = fix
        message = f"{field}: {problem}"
        if fix:
            message += f". {fix}"
        super().__init__(message)


class TrainingDiverged(MetaLightningError):
    """The loss became NaN or infinite; the run stops rather than train on garbage."""
