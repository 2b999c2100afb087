"""Parameters shaped like a Tracr-compiled model's, filled with seeded random values (no Tracr needed)."""
import numpy as np

from meta_lightning.weights.layout import Dims, shapes


def random_params(dims: Dims, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {m: {n: rng.normal(size=s).astype(np.float32) for n, s in d.items()} for m, d in shapes(dims).items()}
