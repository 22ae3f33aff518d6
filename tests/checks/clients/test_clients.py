"""``check_clients``: probing, outlier rate and volume per client against the population."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import CheckError, InputError, UnknownColumn
from steward.checks.clients import MIN_ROWS, check_clients, count_clients, probing_rows
from steward.findings import Verdict
from steward.schema import infer_schema

FEATURES = ("age", "income", "tenure", "plan")


def traffic(rows: int, clients: list[str], seed: int, weights=None) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "client": rng.choice(clients, rows, p=weights),
            "age": rng.integers(18, 90, rows).astype(float),
            "income": np.round(rng.lognormal(10, 0.5, rows), 2),
            "tenure": rng.integers(0, 30, rows).astype(float),
            "plan": rng.choice(["basic", "plus", "pro"], rows),
        }
    )


def probe(client: str, rows: int, feature: str, seed: int) -> pa.Table:
    """One base row repeated with ``feature`` swept over many values."""
    base = traffic(1, ["x"], seed).to_pylist()[0]
    sweep = np.linspace(1, 10**5, rows) if feature != "plan" else ["basic", "plus", "pro"] * rows
    records = [{**base, "client": client, feature: sweep[i]} for i in range(rows)]
    return pa.Table.from_pylist(records, schema=traffic(1, ["x"], 0).schema)


def schema_of(table: pa.Table):
    return infer_schema(table, client="client", overrides={"tenure": {"kind": "numeric"}})


HONEST = [f"c{i:02d}" for i in range(20)]


def test_a_probing_client_is_named_with_the_feature_it_varies():
    table = pa.concat_tables([traffic(4000, HONEST, 0), probe("mallory", 60, "income", 1)])
    findings = check_clients(table, schema_of(table))
    failed = [f for f in findings if f.verdict is Verdict.FAIL]
    assert [f.details["client"] for f in failed] == ["mallory"]
    (finding,) = failed
    assert finding.check == "outlier.client" and finding.column == "client"
    assert finding.details["varied_feature"] == "income"
    assert finding.details["reasons"] == ["probing"]
    assert finding.details["probing_share"] == 1.0
    assert finding.details["population_probing_share"] < 0.01
    assert finding.statistic == 1.0 and finding.p_value < 1e-10


def test_an_honest_heavy_client_is_not_flagged():
    weights = [0.5] + [0.5 / 19] * 19  # c00 sends half the traffic
    table = traffic(6000, HONEST, 2, weights)
    findings = check_clients(table, schema_of(table))
    assert {f.verdict for f in findings} == {Verdict.OK}
    heavy = findings[0]
    assert heavy.details["client"] == "c00" and heavy.details["volume_share"] > 0.45


def test_a_client_with_many_outliers_is_flagged_and_a_heavy_clean_one_is_not():
    table = traffic(5000, HONEST, 3, [0.4] + [0.6 / 19] * 19)
    codes = np.asarray(table.column("client").to_pylist())
    rng = np.random.default_rng(4)
    flags = rng.random(5000) < 0.01
    flags[codes == "c07"] = rng.random(int((codes == "c07").sum())) < 0.2
    findings = check_clients(table, schema_of(table), outlier_flags=flags, window=2)
    failed = [f for f in findings if f.verdict is Verdict.FAIL]
    assert [f.details["client"] for f in failed] == ["c07"]
    assert failed[0].details["reasons"] == ["outlier_rate"]
    assert failed[0].statistic == pytest.approx(failed[0].details["outlier_rate"])
    assert failed[0].window == 2
    assert failed[0].details["population_outlier_rate"] < 0.02


def test_clients_with_few_rows_are_never_flagged():
    small = probe("tiny", MIN_ROWS - 1, "age", 5)
    table = pa.concat_tables([traffic(3000, HONEST, 6), small])
    flags = np.r_[np.zeros(3000, bool), np.ones(MIN_ROWS - 1, bool)]
    findings = check_clients(table, schema_of(table), outlier_flags=flags)
    assert all(f.verdict is Verdict.OK for f in findings)


def test_clean_traffic_raises_no_alarm_over_seeds():
    verdicts = []
    for seed in range(10):
        table = traffic(3000, HONEST, 100 + seed)
        flags = np.random.default_rng(seed).random(3000) < 0.01
        verdicts += [f.verdict for f in check_clients(table, schema_of(table), flags)]
    assert Verdict.FAIL not in verdicts


def test_natural_near_duplicates_in_coarse_data_are_not_probing():
    """With few distinct values, honest rows often differ in one feature only."""
    rng = np.random.default_rng(7)
    rows = 4000
    table = pa.table(
        {
            "client": rng.choice(HONEST, rows),
            "a": rng.choice(["x", "y"], rows),
            "b": rng.choice(["p", "q", "r"], rows),
            "c": rng.integers(0, 4, rows),
        }
    )
    schema = infer_schema(table, client="client")
    assert probing_rows(table, ["a", "b", "c"], np.zeros(rows, np.uint64)).any()
    assert all(f.verdict is Verdict.OK for f in check_clients(table, schema))


def test_exact_duplicates_are_not_probing():
    repeated = pa.concat_tables([probe("echo", 1, "age", 8)] * 40)
    table = pa.concat_tables([traffic(2000, HONEST, 9), repeated])
    counts = count_clients(table, schema_of(table), "client", None)
    assert counts.probing[counts.ids.index("echo")] == 0


def test_probing_needs_two_features():
    table = pa.table({"client": ["a"] * 30 + ["b"] * 30, "age": np.arange(60.0)})
    findings = check_clients(table, infer_schema(table, client="client"))
    assert all(f.details["probing_share"] == 0.0 for f in findings)


def test_rows_without_a_client_form_their_own_group():
    table = traffic(500, HONEST[:3], 10)
    clients = pa.array(
        [None if i % 5 == 0 else c for i, c in enumerate(table["client"].to_pylist())]
    )
    table = table.set_column(0, "client", clients)
    counts = count_clients(table, schema_of(table), "client", None)
    assert "(none)" in counts.ids and counts.rows.sum() == 500


def test_findings_are_deterministic_and_json_ready():
    table = pa.concat_tables([traffic(2000, HONEST, 11), probe("mallory", 40, "tenure", 12)])
    first = check_clients(table, schema_of(table))
    second = check_clients(table, schema_of(table))
    assert [f.to_dict() for f in first] == [f.to_dict() for f in second]
    json.dumps([f.to_dict() for f in first])
    assert len(first) <= 21  # the failing client and the 20 largest others


def test_errors_name_the_problem():
    table = traffic(100, HONEST, 13)
    with pytest.raises(CheckError, match="role 'client'"):
        check_clients(table, infer_schema(table))
    with pytest.raises(UnknownColumn, match="client"):
        check_clients(table.drop_columns(["client"]), schema_of(table))
    with pytest.raises(InputError, match="shape"):
        check_clients(table, schema_of(table), outlier_flags=np.zeros(3, bool))
    (empty,) = check_clients(table.slice(0, 0), schema_of(table))
    assert empty.verdict is Verdict.UNRELIABLE


def test_a_single_client_has_no_population_to_differ_from():
    table = probe("only", 50, "age", 14)
    (finding,) = check_clients(table, schema_of(table))
    assert finding.verdict is Verdict.OK and finding.details["clients"] == 1
