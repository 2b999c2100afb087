"""The on-disk activation cache."""
from meta_lightning.cache.key import CacheKey, canonical_json
from meta_lightning.cache.store import ActivationCache, CacheEntry, CacheWriteError, FillReport

__all__ = ["ActivationCache", "CacheEntry", "CacheKey", "CacheWriteError", "FillReport", "canonical_json"]
