"""A callback that stops a run abruptly, as a killed job would: nothing is saved after the last checkpoint."""
from lightning.pytorch.callbacks import Callback


class Killed(RuntimeError):
    pass


class KillAtStep(Callback):
    def __init__(self, step: int):
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step >= self.step:
            raise Killed(f"killed at step {trainer.global_step}")
