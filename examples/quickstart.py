"""Compare a week of production data with the reference, in a notebook or a script.

Run: python examples/quickstart.py  (writes quickstart-report.html next to you)
"""

import steward
from steward.datasets import credit_stream

stream = credit_stream(weekly_rows=3_000, weeks=8, drift_week=4)

report = steward.compare(
    stream.reference,
    stream.production,
    target="defaulted",
    prediction="prediction",
    score="score",
    timestamp="timestamp",
    id="application_id",
    window="1W",
    plan={"expectations": ["income >= 0", "missing(age) <= 1%"]},
)
print(report)
print("drifted:", report.summary["drifted_columns"])
print("sustained:", report.summary["sustained"], "transient:", report.summary["transient"])
report.to_html("quickstart-report.html")
