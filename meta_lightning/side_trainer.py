"""The trainer a baseline runs on: like the run's, for one device, without checkpoints, validation or logger."""
from __future__ import annotations


def side_trainer(trainer, callbacks=()):
    """A Trainer with ``trainer``'s precision, step and epoch budget and clipping, on one device of its
    accelerator, reporting only through ``callbacks``. Baselines train and test on it so that the run's own
    checkpoints, logger and reporter are left alone."""
    from lightning.pytorch import Trainer
    from lightning.pytorch.accelerators import CUDAAccelerator

    accelerator = "gpu" if isinstance(trainer.accelerator, CUDAAccelerator) else "cpu"
    return Trainer(accelerator=accelerator, devices=1, precision=trainer.precision, max_steps=trainer.max_steps,
                   max_epochs=trainer.max_epochs, gradient_clip_val=trainer.gradient_clip_val, logger=False,
                   callbacks=list(callbacks), enable_checkpointing=False, limit_val_batches=0,
                   num_sanity_val_steps=0, enable_progress_bar=False, enable_model_summary=False)
