"""Run one contender in this process and print its measurements as one ``RESULT {json}`` line.

    python bench/_child.py CONTENDER DATA_DIR [--repeat N] [--options JSON]

Phases, each measured on its own: import the libraries; read the data (``read_s``); then
reset the memory peak and run the timed work ``repeat`` times (``seconds`` is the first,
cold run; ``best_s`` the fastest). ``peak_mb`` is the peak resident memory of the run
phase, ``baseline_mb`` the resident memory after imports, before any data.

Runs under either interpreter: Steward's (steward, numpy, wide) or the peers' (evidently,
nannyml), so it imports neither at module level.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _measure

REFERENCE = "reference.parquet"
CURRENT = "current.parquet"
PROFILE = "reference.profile"
Inputs = dict[str, Any]


@dataclass(frozen=True)
class Contender:
    setup: Callable[[], None]
    load: Callable[[Path, dict[str, Any]], Inputs]
    run: Callable[[Inputs], dict[str, Any]]


def _import_steward() -> None:
    import steward.compare  # noqa: F401


def _import_numpy_pass() -> None:
    import _numpy_pass  # noqa: F401


def _import_evidently() -> None:
    import _peers

    _peers.import_evidently()


def _import_nannyml() -> None:
    import _peers

    _peers.import_nannyml()


def _arrow(directory: Path, options: dict[str, Any]) -> Inputs:
    import pyarrow.parquet as pq

    return {
        "reference": pq.read_table(directory / REFERENCE),
        "current": pq.read_table(directory / CURRENT),
    }


def _arrow_reference(directory: Path, options: dict[str, Any]) -> Inputs:
    import pyarrow.parquet as pq

    return {"reference": pq.read_table(directory / REFERENCE)}


def _stored(directory: Path, options: dict[str, Any]) -> Inputs:
    import pyarrow.parquet as pq

    from steward.profile import Profile

    raw = (directory / PROFILE).read_bytes()
    start = time.perf_counter()
    reference = Profile.from_bytes(raw)
    return {
        "reference": reference,
        "current": pq.read_table(directory / CURRENT),
        "from_bytes_s": time.perf_counter() - start,
    }


def _pandas(directory: Path, options: dict[str, Any]) -> Inputs:
    import pandas as pd

    reference = pd.read_parquet(directory / REFERENCE)
    current = pd.read_parquet(directory / CURRENT)
    categorical = [c for c in reference.columns if reference[c].dtype == object]
    numeric = [c for c in reference.columns if c not in categorical]
    return {
        "reference": reference,
        "current": current,
        "numeric": numeric,
        "categorical": categorical,
    }


def _nothing(directory: Path, options: dict[str, Any]) -> Inputs:
    return {"options": options}


def _steward(inputs: Inputs) -> dict[str, Any]:
    from steward.compare import compare

    summary = compare(inputs["reference"], inputs["current"]).summary
    return {"drifted": summary["drifted_columns"], "columns_checked": summary["columns_checked"]}


def _steward_profile(inputs: Inputs) -> dict[str, Any]:
    from steward.profile import profile

    start = time.perf_counter()
    reference = profile(inputs["reference"])
    middle = time.perf_counter()
    raw = reference.to_bytes()
    inputs["raw"] = raw
    return {
        "profile_s": middle - start,
        "to_bytes_s": time.perf_counter() - middle,
        "profile_bytes": len(raw),
    }


def _numpy(inputs: Inputs) -> dict[str, Any]:
    import _numpy_pass

    return {"drifted": _numpy_pass.run(inputs["reference"], inputs["current"])["drifted"]}


def _evidently(inputs: Inputs) -> dict[str, Any]:
    import _peers

    return _peers.evidently(
        inputs["reference"], inputs["current"], inputs["numeric"], inputs["categorical"]
    )


def _nannyml(inputs: Inputs) -> dict[str, Any]:
    import _peers

    return _peers.nannyml(
        inputs["reference"], inputs["current"], inputs["numeric"], inputs["categorical"]
    )


def _wide(inputs: Inputs) -> dict[str, Any]:
    import _wide

    return _wide.run(**inputs["options"])


CONTENDERS: dict[str, Contender] = {
    "steward": Contender(_import_steward, _arrow, _steward),
    "steward-profile": Contender(_import_steward, _arrow_reference, _steward_profile),
    "steward-stored": Contender(_import_steward, _stored, _steward),
    "numpy": Contender(_import_numpy_pass, _arrow, _numpy),
    "evidently": Contender(_import_evidently, _pandas, _evidently),
    "nannyml": Contender(_import_nannyml, _pandas, _nannyml),
    "steward-wide": Contender(_import_steward, _nothing, _wide),
}


def measure(name: str, directory: Path, repeat: int, options: dict[str, Any]) -> dict[str, Any]:
    contender = CONTENDERS[name]
    start = time.perf_counter()
    contender.setup()
    import_s = time.perf_counter() - start
    baseline = _measure.rss_mb()
    start = time.perf_counter()
    inputs = contender.load(directory, options)
    read_s = time.perf_counter() - start
    loaded = _measure.rss_mb()
    exact_peak = _measure.reset_peak()
    times, cpu, result = [], 0.0, {}
    for attempt in range(repeat):
        cpu_start, start = _measure.cpu_seconds(), time.perf_counter()
        result = contender.run(inputs)
        times.append(time.perf_counter() - start)
        if attempt == 0:
            cpu = _measure.cpu_seconds() - cpu_start
    if "raw" in inputs:
        (directory / PROFILE).write_bytes(inputs["raw"])
    extra = {k: v for k, v in inputs.items() if k.endswith("_s")}
    return {
        "contender": name,
        "import_s": import_s,
        "read_s": read_s,
        "seconds": times[0],
        "best_s": min(times),
        "runs": len(times),
        "cpu_s": cpu,
        "baseline_mb": baseline,
        "loaded_mb": loaded,
        "peak_mb": _measure.peak_mb(),
        "peak_is_run_only": exact_peak,
        **extra,
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--options", type=json.loads, default={})
    args = parser.parse_args()
    result = measure(args.contender, args.directory, args.repeat, args.options)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
