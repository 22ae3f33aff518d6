"""The model registry: immutable versions, aliases with history, safe loading.

>>> from steward.registry import ModelRegistry  # doctest: +SKIP
"""

from steward.registry.versions import AliasEvent, ModelRegistry, ModelVersion

__all__ = ["AliasEvent", "ModelRegistry", "ModelVersion"]
