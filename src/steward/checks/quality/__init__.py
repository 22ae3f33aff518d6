"""Data-quality checks, one module each; importing this package registers all of them.

:func:`check_quality` runs every registered check and returns their findings, named
``quality.<check>``, one per column and check where a check looks at columns (verdict
``ok`` when the column is fine, so a report shows what was checked).

>>> import pyarrow as pa
>>> from steward.profile import profile
>>> from steward.schema import infer_schema
>>> reference = pa.table({"income": [1200.0, 3400.0, 2500.0, 4100.0] * 50})
>>> schema = infer_schema(reference)
>>> ref = profile(reference, schema)
>>> cur = profile(pa.table({"income": [-5.0, 3400.0, 2500.0, 4100.0] * 50}), schema,
...               reference=ref)
>>> found = check_quality(ref, cur, expectations=[parse_expectation("income >= 0")])
>>> [(f.check, f.verdict.value) for f in found if f.failed]
[('quality.expectation', 'fail'), ('quality.out_of_range', 'fail')]
>>> next(f.message for f in found if f.check == "quality.out_of_range")
'income: 25% of values below the reference minimum 1200 (lowest -5)'
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence

from steward._exceptions import PlanError
from steward.checks.quality._base import (
    REGISTRY,
    ColumnCheck,
    ColumnPair,
    Comparison,
    DatasetCheck,
    Limits,
    QualityCheck,
    get,
    register,
)
from steward.checks.quality._expectations import Expectation, load_expectations, parse_expectation
from steward.checks.quality._policy import ColumnQuality, QualityPolicy
from steward.findings import Finding
from steward.profile import Profile
from steward.schema import Schema

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")


def check_quality(
    reference: Profile,
    current: Profile,
    *,
    current_schema: Schema | None = None,
    policy: QualityPolicy | None = None,
    expectations: Sequence[Expectation] = (),
) -> list[Finding]:
    """Run every registered quality check of ``current`` against ``reference``.

    ``current`` must be profiled against ``reference`` (same bin edges and categories).
    ``current_schema``, inferred from the current data on its own, enables the checks for
    extra columns and type changes. Findings come check by check in registry order.
    """
    comparison = Comparison(
        reference, current, policy or QualityPolicy(), current_schema, tuple(expectations)
    )
    _check_policy_columns(comparison)
    return [found for check in REGISTRY.values() for found in check.evaluate(comparison)]


def _check_policy_columns(comparison: Comparison) -> None:
    known = set(comparison.reference.schema.names)
    if comparison.current_schema is not None:
        known |= set(comparison.current_schema.names)
    unknown = sorted(set(comparison.policy.columns) - known)
    if unknown:
        raise PlanError(
            f"the quality policy names unknown column(s) {unknown}; the data has {sorted(known)}"
        )


__all__ = [
    "REGISTRY",
    "ColumnCheck",
    "ColumnPair",
    "ColumnQuality",
    "Comparison",
    "DatasetCheck",
    "Expectation",
    "Limits",
    "QualityCheck",
    "QualityPolicy",
    "check_quality",
    "get",
    "load_expectations",
    "parse_expectation",
    "register",
]
