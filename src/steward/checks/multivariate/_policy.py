"""The multivariate policy: which dataset-level drift checks run, and their bars.

Plain data (pydantic), so a plan can carry it as YAML.

>>> MultivariatePolicy(alpha=0.05).min_auc
0.55
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MultivariatePolicy(BaseModel):
    """Settings of the PCA-reconstruction and domain-classifier checks.

    A check fails when it is significant (``p < alpha``) *and* relevant: the mean
    reconstruction error rose by at least ``pca_min_increase`` (relative), or the
    classifier's out-of-fold AUC reached ``min_auc``. A relevant but not significant
    result warns, as the per-column drift verdict does.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: tuple[str, ...] = ("pca_reconstruction", "domain_classifier")
    columns: tuple[str, ...] | None = None
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_rows: int = Field(default=20, ge=10)
    max_categories: int = Field(default=20, ge=1, le=250)
    seed: int = 0
    pca_variance: float = Field(default=0.65, gt=0, le=1)
    pca_min_increase: float = Field(default=0.10, ge=0)
    pca_chunks: int = Field(default=1000, ge=100, le=100_000)
    min_auc: float = Field(default=0.55, ge=0.5, le=1)
    classifier_rows: int = Field(default=5000, ge=20)
    classifier_folds: int = Field(default=5, ge=2, le=20)
    classifier_iterations: int = Field(default=60, ge=1, le=1000)
    classifier_learning_rate: float = Field(default=0.1, gt=0, le=1)
    importance_rows: int = Field(default=2000, ge=20)
    top_features: int = Field(default=5, ge=1)

    @field_validator("checks")
    @classmethod
    def _registered(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        from steward.checks.multivariate._base import REGISTRY

        unknown = [name for name in names if name not in REGISTRY]
        if unknown:
            raise ValueError(
                f"unknown multivariate check(s) {unknown}; registered: {sorted(REGISTRY)}"
            )
        return names
