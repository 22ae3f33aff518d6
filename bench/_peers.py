"""The peers as a user would run them on pandas frames: Evidently and NannyML.

Imported only inside the peers environment (see ``report_vs_peers.py``); Steward never
imports this module, and this module never imports Steward.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # NannyML phones home otherwise
os.environ.setdefault("DO_NOT_TRACK", "1")

# NannyML's univariate methods closest to the NumPy pass (it has no PSI).
NANNYML_CONTINUOUS = ["kolmogorov_smirnov", "wasserstein", "jensen_shannon"]
NANNYML_CATEGORICAL = ["chi2", "jensen_shannon"]


def import_evidently() -> None:
    import evidently.presets  # noqa: F401


def import_nannyml() -> None:
    import nannyml  # noqa: F401


def evidently(
    reference: Any, current: Any, numeric: list[str], categorical: list[str]
) -> dict[str, Any]:
    """``DataDriftPreset`` with defaults; a column drifted when its drift test fails."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    tests = snapshot.dict()["tests"]
    drifted = [_tested_column(t) for t in tests if _is_value_drift(t) and t["status"] == "FAIL"]
    methods = sorted({t["metric_config"]["params"]["method"] for t in tests if _is_value_drift(t)})
    return {"drifted": drifted, "methods": methods}


def _is_value_drift(test: dict[str, Any]) -> bool:
    return test["metric_config"]["params"].get("type", "").endswith("ValueDrift")


def _tested_column(test: dict[str, Any]) -> str:
    return test["metric_config"]["params"]["column"]


def nannyml(
    reference: Any, current: Any, numeric: list[str], categorical: list[str]
) -> dict[str, Any]:
    """``UnivariateDriftCalculator`` with its default chunking (10 chunks).

    NannyML judges chunks, not a whole period: a column counts as drifted when more than
    half of the current data's chunks raise an alert on at least one method.
    """
    import nannyml as nml

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calculator = nml.UnivariateDriftCalculator(
            column_names=numeric + categorical,
            continuous_methods=NANNYML_CONTINUOUS,
            categorical_methods=NANNYML_CATEGORICAL,
        )
        calculator.fit(reference)
        frame = calculator.calculate(current).filter(period="analysis").to_df()
    alerts = frame[[c for c in frame.columns if c[-1] == "alert"]]
    per_column = alerts.T.groupby(level=0).any().T  # a chunk alerts if any method does
    share = per_column.mean()
    drifted = [name for name in numeric + categorical if share.get(name, 0.0) > 0.5]
    return {
        "drifted": drifted,
        "chunks": len(frame),
        "alert_share": {name: round(float(v), 2) for name, v in share.items()},
    }
