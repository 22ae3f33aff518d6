"""Streaming change detectors: Steward against River on Bernoulli error streams.

Every stream is a 0/1 error stream whose error rate moves from ``p0`` to ``p1`` at a known
item; several magnitudes, many seeds. For every detector both libraries have, with River's
default parameters on both sides, the table gives the detection rate (an alarm at or after
the change), the median delay of the first such alarm, false alarms per 10k items (alarms
before the change), and updates per second: River's per-item ``update``, Steward's
``update`` and its vectorised ``update_many``, with ratios to River measured in the same
run. River runs in its own environment (``--peers-python``), as a subprocess of this
script started right before Steward's run of the same detector; Steward never imports it.

    python bench/detectors_vs_river.py --peers-python /tmp/peers/bin/python

Target: the same or a shorter delay at no more false alarms, and ``update_many`` at least
as fast as River's per-item loop. Throughput is measured in CPU time (a busy machine
slows both sides less unevenly than wall time shows), as the fastest of ``--repeats``
passes over all streams on both sides (KSWIN: one pass; River's KSWIN runs near 2k/s). CUSUM
and EWMA (Steward only) are listed after, with thresholds set for a mean run length of
2000 items at ``p0``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

SHARED = ("adwin", "ddm", "eddm", "hddm_a", "hddm_w", "kswin", "page_hinkley")
STEWARD_ONLY = ("cusum", "ewma")
RIVER_CLASSES = {
    "adwin": "ADWIN",
    "ddm": "binary.DDM",
    "eddm": "binary.EDDM",
    "hddm_a": "binary.HDDMA",
    "hddm_w": "binary.HDDMW",
    "kswin": "KSWIN",
    "page_hinkley": "PageHinkley",
}


def make_stream(seed: int, p0: float, p1: float, length: int, change: int) -> np.ndarray:
    """A 0/1 error stream; the same in both environments (NumPy's PCG64)."""
    rng = np.random.default_rng(seed)
    rate = np.where(np.arange(length) < change, p0, p1)
    return (rng.random(length) < rate).astype(np.float64)


def streams(config: dict) -> list[tuple[float, int, np.ndarray]]:
    """``(p1, seed, values)`` for every magnitude and seed of the configuration."""
    out = []
    for p1 in config["p1"]:
        for seed in range(config["seeds"]):
            values = make_stream(seed, config["p0"], p1, config["length"], config["change"])
            out.append((p1, seed, values))
    return out


def seeds_for(name: str, config: dict) -> int:
    return config["kswin_seeds"] if name == "kswin" else config["seeds"]


def repeats_for(name: str, config: dict) -> int:
    """Timing repeats (the fastest counts: a loaded machine only ever slows a run down)."""
    return 1 if name == "kswin" else config["repeats"]


# -- River side (runs under --peers-python) ---------------------------------------------


def river_worker(config: dict) -> None:
    from river import drift

    def build(name: str, seed: int):
        target = drift
        for part in RIVER_CLASSES[name].split("."):
            target = getattr(target, part)
        return target(seed=seed) if name == "kswin" else target()

    result = {}
    for name in config["detectors"]:
        local = {**config, "seeds": seeds_for(name, config)}
        data = [(seed, values.tolist()) for _, seed, values in streams(local)]
        alarms, best = [], float("inf")
        for _ in range(repeats_for(name, config)):
            alarms, seconds = [], 0.0
            for seed, values in data:
                detector, hits = build(name, seed), []
                start = time.process_time()
                for i, x in enumerate(values):
                    detector.update(x)
                    if detector.drift_detected:
                        hits.append(i)
                seconds += time.process_time() - start
                alarms.append(hits)
            best = min(best, seconds)
        items = sum(len(values) for _, values in data)
        result[name] = {"alarms": alarms, "seconds": best, "items": items}
    json.dump(result, sys.stdout)


# -- Steward side -------------------------------------------------------------------------


def steward_run(name: str, config: dict, params: dict) -> dict:
    from steward import stream

    def build(seed: int):
        extra = {"seed": seed} if name == "kswin" else {}
        return stream.create(name, **{**params, **extra})

    local = {**config, "seeds": seeds_for(name, config)}
    data = [(seed, values) for _, seed, values in streams(local)]
    alarms = [build(seed).update_many(values).tolist() for seed, values in data]
    many_s = one_s = float("inf")
    for _ in range(repeats_for(name, config)):
        seconds = 0.0
        for seed, values in data:
            detector = build(seed)
            start = time.process_time()
            detector.update_many(values)
            seconds += time.process_time() - start
        many_s = min(many_s, seconds)
        seconds = 0.0
        for (seed, values), expected in zip(data, alarms, strict=True):
            detector, again = build(seed), []
            items = values.tolist()
            start = time.process_time()
            for i, x in enumerate(items):
                detector.update(x)
                if detector.drift_detected:
                    again.append(i)
            seconds += time.process_time() - start
            assert again == expected, f"{name}: update and update_many disagree"
        one_s = min(one_s, seconds)
    items = sum(len(values) for _, values in data)
    return {"alarms": alarms, "seconds": one_s, "many_seconds": many_s, "items": items}


# -- Metrics and table --------------------------------------------------------------------


def metrics(alarms: list[list[int]], config: dict, name: str) -> dict:
    local = {**config, "seeds": seeds_for(name, config)}
    change = config["change"]
    per_p1: dict[float, list[int | None]] = {}
    false = 0
    for (p1, _, _), hits in zip(streams_meta(local), alarms, strict=True):
        false += sum(1 for h in hits if h < change)
        after = [h - change for h in hits if h >= change]
        per_p1.setdefault(p1, []).append(after[0] if after else None)
    rows = {}
    for p1, delays in per_p1.items():
        found = [d for d in delays if d is not None]
        rows[p1] = (len(found) / len(delays), float(np.median(found)) if found else float("nan"))
    false_per_10k = false / (len(alarms) * change) * 10_000
    return {"rows": rows, "false_per_10k": false_per_10k}


def streams_meta(config: dict) -> list[tuple[float, int, None]]:
    return [(p1, seed, None) for p1 in config["p1"] for seed in range(config["seeds"])]


def rate(n: float) -> str:
    return f"{n / 1e6:6.2f}M" if n >= 1e6 else f"{n / 1e3:6.1f}k"


def print_table(name: str, steward: dict, river: dict | None, config: dict) -> None:
    s = metrics(steward["alarms"], config, name)
    r = metrics(river["alarms"], config, name) if river else None
    print(f"\n{name}  ({seeds_for(name, config)} seeds per magnitude, p0 = {config['p0']})")
    print(f"  {'p1':>5}  {'detected S':>10} {'R':>6}  {'median delay S':>14} {'R':>6} {'S/R':>5}")
    for p1, (det, delay) in s["rows"].items():
        if r:
            rdet, rdelay = r["rows"][p1]
            ratio = delay / rdelay if rdelay else float("nan")
            print(f"  {p1:5.2f}  {det:10.0%} {rdet:6.0%}  {delay:14.0f} {rdelay:6.0f} {ratio:5.2f}")
        else:
            print(f"  {p1:5.2f}  {det:10.0%} {'':>6}  {delay:14.0f}")
    fa = f"  false alarms per 10k: S {s['false_per_10k']:.2f}"
    if r:
        fa += f"  R {r['false_per_10k']:.2f}"
    print(fa)
    one = steward["items"] / steward["seconds"]
    many = steward["items"] / steward["many_seconds"]
    if river:
        peer = river["items"] / river["seconds"]
        print(
            f"  updates/s: River update {rate(peer)} | Steward update {rate(one)} "
            f"({one / peer:.2f}x) | update_many {rate(many)} ({many / peer:.1f}x)"
        )
        same = all(
            s["rows"][p1][1] <= r["rows"][p1][1] or np.isnan(r["rows"][p1][1]) for p1 in s["rows"]
        )
        quiet = s["false_per_10k"] <= r["false_per_10k"]
        print(
            f"  target: delay <= River {'yes' if same else 'NO'}, "
            f"false alarms <= River {'yes' if quiet else 'NO'}, "
            f"update_many >= River update {'yes' if many >= peer else 'NO'}"
        )
    else:
        print(f"  updates/s: Steward update {rate(one)} | update_many {rate(many)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers-python", default="/tmp/peers/bin/python")
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--kswin-seeds", type=int, default=3)
    parser.add_argument("--length", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--p0", type=float, default=0.1)
    parser.add_argument("--p1", type=float, nargs="+", default=[0.15, 0.2, 0.3, 0.5])
    parser.add_argument("--detectors", nargs="+", default=list(SHARED))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        river_worker(json.loads(args.worker))
        return
    config = {
        "p0": args.p0,
        "p1": args.p1,
        "seeds": args.seeds,
        "kswin_seeds": args.kswin_seeds,
        "length": args.length,
        "repeats": args.repeats,
        "change": args.length // 2,
        "detectors": args.detectors,
    }
    for name in args.detectors:  # River then Steward, one detector at a time
        started = time.perf_counter()
        worker = json.dumps({**config, "detectors": [name]})
        river = json.loads(
            subprocess.run(
                [args.peers_python, __file__, "--worker", worker],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )[name]
        steward = steward_run(name, config, {})
        print_table(name, steward, river, config)
        print(f"  ({time.perf_counter() - started:.0f} s wall, River in {args.peers_python})")
    from steward import stream

    for name in STEWARD_ONLY:
        tuned = stream.get(name).cls.for_false_alarm_rate(2000, p0=args.p0)
        param = tuned.tuning.param
        params = {param: getattr(tuned, param)}
        print(f"\n(Steward only: {param} = {params[param]:.4g} for a mean run length of 2000)")
        print_table(name, steward_run(name, config, params), None, config)


if __name__ == "__main__":
    main()
