"""Stores: one interface (base.Store) and its implementations, chosen by the store setting."""

from __future__ import annotations

from .base import GraphInfo, Store, StoreBusy, StoreError
from .embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "GraphInfo", "Store", "StoreBusy", "StoreError", "open_store"]


def open_store(location: str, *, read_only: bool = False) -> Store:
    """Open the store the setting names: a directory means the embedded store."""
    if location.startswith(("http://", "https://")):
        raise StoreError(f"remote stores are not supported yet: {location}")
    return EmbeddedStore(location, read_only=read_only)
