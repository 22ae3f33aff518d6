"""The bars an estimate is judged against, as one plain-data policy object."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EstimatePolicy(BaseModel):
    """When an estimate is ``fail``/``warn``/``ok``, and when it cannot be trusted.

    Verdict against the reference (the reference's realised metric is the ``threshold``):
    the *limit* is the reference value minus ``allowed_drop`` for metrics in [0, 1] where
    higher is better, or the reference value times ``1 + allowed_rise`` for error metrics.
    ``fail`` when the whole band is past the limit, ``warn`` when the estimate is past it
    but the band still reaches back, else ``ok`` (the drift verdict's "relevant and
    significant" rule, applied to a metric).

    ``unreliable`` wins over all three when more than ``support_limit`` of the window's rows
    lie outside the reference's support (a numeric value beyond the reference's
    [0.5 %, 99.5 %] range by more than ``support_margin`` times its width, an unseen
    category, or a score outside the reference's score range), or when, on at least
    ``min_labelled`` labelled rows of the window, the realised metric differs from the
    estimate on those rows both significantly (two-sided level ``disagreement_alpha``
    against the labelled rows' own sampling spread) and relevantly (by at least
    ``min_disagreement`` absolute for [0, 1] metrics, ``min_relative_disagreement``
    relative for errors).

    >>> EstimatePolicy(allowed_drop=0.02).allowed_drop
    0.02
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_drop: float = Field(default=0.05, ge=0, le=1)
    allowed_rise: float = Field(default=0.10, ge=0)
    support_limit: float = Field(default=0.10, ge=0, le=1)
    support_margin: float = Field(default=0.10, ge=0)
    disagreement_alpha: float = Field(default=0.01, gt=0, lt=1)
    min_disagreement: float = Field(default=0.02, ge=0, le=1)
    min_relative_disagreement: float = Field(default=0.05, ge=0)
    min_labelled: int = Field(default=30, ge=2)
