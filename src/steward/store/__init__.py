"""The store: tables, engine, migrations and the artifact folder."""

from steward.store._config import database_url, home
from steward.store._store import Store
from steward.store.artifacts import ArtifactStore, StoredArtifact

__all__ = ["ArtifactStore", "Store", "StoredArtifact", "database_url", "home"]
