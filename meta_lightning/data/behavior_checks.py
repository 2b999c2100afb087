"""The datamodule's checks of its behaviours: names, the train/held-out split, and options, each error naming
its ``data.`` field."""
from __future__ import annotations

from contextlib import contextmanager

from meta_lightning.behaviors import REGISTRY, TRAINING_BEHAVIORS
from meta_lightning.errors import ConfigError


@contextmanager
def under_data():
    """Errors raised inside a behaviour name its own field (``lies.dataset``): give them their config path."""
    try:
        yield
    except ConfigError as e:
        if e.field.startswith("data."):
            raise
        field = "data.splits.eval_test_split" if e.field == "split" else f"data.behavior_options.{e.field}"
        raise ConfigError(field, e.problem, e.fix) from e


def check_behaviors(behaviors: list[str], eval_behaviors: list[str], options: dict) -> None:
    if not behaviors:
        raise ConfigError("data.behaviors", "the training combination is empty",
                          f"Name at least one of {', '.join(TRAINING_BEHAVIORS)}")
    for field, names in (("data.behaviors", behaviors), ("data.eval_behaviors", eval_behaviors)):
        for name in names:
            if name not in REGISTRY:
                raise ConfigError(field, f"unknown behaviour {name!r}", f"Use one of: {', '.join(sorted(REGISTRY))}")
    for name in behaviors:
        if name in eval_behaviors or name not in TRAINING_BEHAVIORS:
            raise ConfigError("data.behaviors", f"{name!r} is held out (evaluated only, never trained on)",
                              f"Train on any of {', '.join(TRAINING_BEHAVIORS)}; held-out behaviours go in "
                              "data.eval_behaviors")
    for name in options:
        if name not in behaviors + eval_behaviors:
            raise ConfigError("data.behavior_options", f"options for {name!r}, which is not a listed behaviour",
                              "Add it to data.behaviors or data.eval_behaviors, or drop its options")
