"""Stores: one interface (base.Store) and its implementations, chosen by the store setting."""

from __future__ import annotations

from .base import GraphInfo, Store, StoreBusy, StoreError
from .embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "GraphInfo", "Store", "StoreBusy", "StoreError", "open_store"]


def open_store(location: str, *, read_only: bool = False, settings: object | None = None) -> Store:
    """Open the store the setting names: a directory means the embedded store, an http(s) URL a remote
    SPARQL server (its dialect, endpoints and credentials from the settings)."""
    if location.startswith(("http://", "https://")):
        from .remote import RemoteStore

        options = {}
        if settings is not None:
            options = {
                "dialect": settings.store_dialect,  # type: ignore[attr-defined]
                "query_url": settings.store_query_url,  # type: ignore[attr-defined]
                "update_url": settings.store_update_url,  # type: ignore[attr-defined]
                "gsp_url": settings.store_gsp_url,  # type: ignore[attr-defined]
                "user": settings.store_user,  # type: ignore[attr-defined]
                "password": settings.store_password,  # type: ignore[attr-defined]
                "batch": settings.store_batch,  # type: ignore[attr-defined]
                "timeout": max(60.0, settings.query_timeout),  # type: ignore[attr-defined]
            }
        return RemoteStore(location, **options)  # type: ignore[arg-type]
    return EmbeddedStore(location, read_only=read_only)
