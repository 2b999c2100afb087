"""Python objects from every rank of a multi-process run (one process: just this one's)."""
from __future__ import annotations


def gather_objects(mine) -> list:
    """``mine`` from every rank, in rank order; all ranks must call this together under DDP."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [mine]
    every: list = [None] * dist.get_world_size()
    dist.all_gather_object(every, mine)
    return every
