"""The drift policy: which test and which bars apply to each column.

One object with per-kind defaults and per-column overrides replaces a matrix of
per-kind method parameters. It is plain data (pydantic), so plans carry it as YAML.

>>> policy = DriftPolicy(columns={"age": ColumnPolicy(test="psi", threshold=0.2)})
>>> policy.for_column("age", Kind.NUMERIC).test
'psi'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steward.schema import Kind


class ColumnPolicy(BaseModel):
    """How one column (or one kind of column) is tested.

    ``test`` picks the significance test by registered name. With ``threshold`` set, the
    test is *forced*: the verdict is the fixed threshold alone, as other tools do. Without
    it, the default verdict needs significance (after FDR control) and an ``effect`` of at
    least ``min_effect``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    test: str | None = None
    threshold: float | None = None
    effect: str | None = None
    min_effect: float | None = Field(default=None, ge=0)
    enabled: bool = True

    @field_validator("test", "effect")
    @classmethod
    def _registered(cls, name: str | None) -> str | None:
        from steward.checks.drift import REGISTRY

        if name is not None and name not in REGISTRY:
            raise ValueError(f"unknown drift test {name!r}; registered: {sorted(REGISTRY)}")
        return name

    def merged_over(self, base: ColumnPolicy) -> ColumnPolicy:
        """This policy's settings, falling back to ``base`` for the unset ones."""
        values = {k: v for k, v in self.model_dump().items() if k in self.model_fields_set}
        return base.model_copy(update=values)


_DEFAULTS = {
    Kind.NUMERIC: ColumnPolicy(test="ks", effect="wasserstein", min_effect=0.1),
    Kind.TEXT: ColumnPolicy(test="ks", effect="wasserstein", min_effect=0.1),
    Kind.CATEGORICAL: ColumnPolicy(test="chi_square", effect="jensen_shannon", min_effect=0.05),
    Kind.BOOLEAN: ColumnPolicy(test="z_test", effect="jensen_shannon", min_effect=0.05),
}


class DriftPolicy(BaseModel):
    """Per-kind defaults, per-column overrides, and the false-alarm controls."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fdr: float = Field(default=0.05, gt=0, lt=1)
    numeric: ColumnPolicy = _DEFAULTS[Kind.NUMERIC]
    text: ColumnPolicy = _DEFAULTS[Kind.TEXT]
    categorical: ColumnPolicy = _DEFAULTS[Kind.CATEGORICAL]
    boolean: ColumnPolicy = _DEFAULTS[Kind.BOOLEAN]
    columns: dict[str, ColumnPolicy] = Field(default_factory=dict)
    dataset_drift_share: float = Field(default=0.5, gt=0, le=1)
    calibration_samples: int = Field(default=1000, ge=100, le=100_000)
    seed: int = 0

    def for_column(self, name: str, kind: Kind) -> ColumnPolicy:
        base = getattr(self, kind.value, None) or _DEFAULTS[Kind.CATEGORICAL]
        base = base.merged_over(_DEFAULTS.get(kind, _DEFAULTS[Kind.CATEGORICAL]))
        override = self.columns.get(name)
        return override.merged_over(base) if override else base
