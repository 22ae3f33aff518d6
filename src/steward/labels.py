"""Delayed labels joined to predictions by id.

Labels often arrive days after the predictions they belong to, in a file of their own:
``join_labels(current, labels, id="application_id")`` adds (or fills) the target column.
Rows without a label keep a null target, so label coverage stays visible; a label whose id
has no prediction is counted, never silently dropped.

>>> import pyarrow as pa
>>> current = pa.table({"id": [1, 2, 3], "score": [0.2, 0.9, 0.4]})
>>> labels = pa.table({"id": [2, 3, 9], "y": [1, 0, 1]})
>>> joined, unmatched = join_labels(current, labels, id="id", target="y")
>>> joined.column("y").to_pylist(), unmatched
([None, 1, 0], 1)
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import InputError, UnknownColumn
from steward.io import to_arrow


def join_labels(
    current: Any,
    labels: Any,
    id: str,
    target: str | None = None,
) -> tuple[pa.Table, int]:
    """Left-join ``labels`` onto ``current`` by ``id``; returns the table and unmatched labels.

    ``target`` names the label column; when omitted, the labels must have exactly one column
    besides the id. Repeated ids with the same label count once; conflicting labels for one
    id are an error naming it.
    """
    current, labels = to_arrow(current), to_arrow(labels)
    for table, what in ((current, "current data"), (labels, "labels")):
        if id not in table.column_names:
            raise UnknownColumn(
                f"the {what} have no id column {id!r}; columns: {table.column_names}"
            )
    target = target or _only_label_column(labels, id)
    if target not in labels.column_names:
        raise UnknownColumn(f"the labels have no column {target!r}; columns: {labels.column_names}")
    labels = _deduplicated(labels.select([id, target]), id, target)
    labels = labels.rename_columns([id, "__steward_label"])
    labels = labels.set_column(0, id, pc.cast(labels.column(0), current.schema.field(id).type))
    indexed = current.append_column("__steward_row", pa.array(range(current.num_rows)))
    joined = indexed.join(labels, keys=id, join_type="left outer")
    joined = joined.sort_by("__steward_row")
    label = joined.column("__steward_label")
    if target in current.column_names:
        existing = pc.cast(joined.column(target), label.type)
        label = pc.coalesce(label, existing)
        joined = joined.drop_columns([target])
    joined = joined.drop_columns(["__steward_row", "__steward_label"])
    joined = joined.append_column(target, label).select(
        [*current.column_names, target]
        if target not in current.column_names
        else current.column_names
    )
    matched = pc.is_in(labels.column(id), value_set=current.column(id).combine_chunks())
    return joined, int(len(matched) - pc.sum(matched).as_py())


def _only_label_column(labels: pa.Table, id: str) -> str:
    others = [c for c in labels.column_names if c != id]
    if len(others) != 1:
        raise InputError(
            f"the labels have columns {others} besides {id!r}; name the label column (--target)"
        )
    return others[0]


def _deduplicated(labels: pa.Table, id: str, target: str) -> pa.Table:
    distinct = labels.group_by([id, target]).aggregate([])
    if distinct.num_rows == pc.count_distinct(labels.column(id)).as_py():
        return distinct
    counts = distinct.group_by(id).aggregate([([], "count_all")])
    clash = counts.filter(pc.greater(counts.column("count_all"), 1)).column(id)[0].as_py()
    raise InputError(f"conflicting labels for id {clash!r}")
