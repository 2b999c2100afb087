"""meta_lightning: train meta-models that read another model's activations."""
__version__ = "0.1.0"
