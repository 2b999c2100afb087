"""What the meta-model is measured against: a linear probe, the untrained meta-model, and a question-only one."""
from meta_lightning.baselines.probe import probe_baseline

__all__ = ["probe_baseline"]
