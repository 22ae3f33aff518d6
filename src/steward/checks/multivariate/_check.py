"""Run the multivariate drift checks of a policy on two profiles' reservoir samples."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
from threadpoolctl import threadpool_limits

from steward._exceptions import UnknownColumn
from steward.checks.multivariate._base import Samples, get, unreliable
from steward.checks.multivariate._encoder import ENCODED_KINDS, FeatureEncoder
from steward.checks.multivariate._policy import MultivariatePolicy
from steward.checks.multivariate._representative import unrepresentative
from steward.findings import Finding
from steward.profile import Profile
from steward.schema import Column


def check_multivariate(
    reference: Profile,
    current: Profile,
    window: int | None = None,
    policy: MultivariatePolicy | None = None,
) -> list[Finding]:
    """One dataset-level finding per check of ``policy`` (``column`` is ``None``).

    The checks compare the profiles' reservoir samples (at most the reservoir's capacity of
    rows each), so they cost the same on any window size. BLAS runs on one thread while
    they do, as scikit-learn's KMeans does: the matrices are small, and BLAS threads
    spinning on busy cores made PCA several times slower.
    """
    policy = policy or MultivariatePolicy()
    columns, skipped = feature_columns(reference, current, policy)
    reason = _no_samples(reference, current, columns) or _unfair(reference, current, columns)
    if reason:
        findings = [
            unreliable(get(name).check_name, reason, {"skipped_columns": skipped})
            for name in policy.checks
        ]
    else:
        with threadpool_limits(limits=1, user_api="blas"):
            samples = encode(reference, current, columns, skipped, policy)
            findings = [get(name).run(samples, policy) for name in policy.checks]
    return [replace(f, window=window) for f in findings]


def feature_columns(
    reference: Profile, current: Profile, policy: MultivariatePolicy
) -> tuple[list[Column], list[str]]:
    """Feature columns of encodable kinds present in both samples, and the ones left out."""
    features = reference.schema.features()
    if policy.columns is not None:
        unknown = [name for name in policy.columns if name not in reference.schema]
        if unknown:
            raise UnknownColumn(
                f"unknown column(s) {unknown} in the multivariate policy; the "
                f"schema has {reference.schema.names}"
            )
        features = [reference.schema[name] for name in policy.columns]
    present = set(current.reservoir.rows.column_names) & set(reference.reservoir.rows.column_names)
    kept = [c for c in features if c.kind in ENCODED_KINDS and c.name in present]
    return kept, [c.name for c in features if c not in kept]


def _no_samples(reference: Profile, current: Profile, columns: list[Column]) -> str | None:
    if not columns:
        return "no numeric, categorical or boolean feature columns in both samples"
    if len(reference.reservoir) == 0:
        return "the reference sample has no rows"
    if len(current.reservoir) == 0:
        return "the current sample has no rows"
    return None


def _unfair(reference: Profile, current: Profile, columns: list[Column]) -> str | None:
    return unrepresentative(reference, columns, "reference") or unrepresentative(
        current, columns, "current"
    )


def encode(
    reference: Profile,
    current: Profile,
    columns: list[Column],
    skipped: list[str],
    policy: MultivariatePolicy,
) -> Samples:
    """Fit the encoder on the reference sample and encode both samples with it."""
    names = [c.name for c in columns]
    ref_rows: pa.Table = reference.reservoir.rows.select(names)
    cur_rows: pa.Table = current.reservoir.rows.select(names)
    encoder = FeatureEncoder(max_categories=policy.max_categories).fit(ref_rows, columns)
    return Samples(
        encoder.transform(ref_rows),
        encoder.transform(cur_rows),
        encoder.codes(ref_rows),
        encoder.codes(cur_rows),
        encoder,
        reference.rows,
        current.rows,
        tuple(skipped),
    )
