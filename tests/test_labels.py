import pyarrow as pa
import pytest

from steward._exceptions import InputError, UnknownColumn
from steward.labels import join_labels


def test_labels_join_by_id_keeping_row_order_and_coverage():
    current = pa.table({"id": [3, 1, 2, 4], "score": [0.1, 0.2, 0.3, 0.4]})
    labels = pa.table({"id": [1, 3], "y": ["cat", "dog"]})
    joined, unmatched = join_labels(current, labels, id="id")
    assert joined.column_names == ["id", "score", "y"]
    assert joined.column("id").to_pylist() == [3, 1, 2, 4]
    assert joined.column("y").to_pylist() == ["dog", "cat", None, None]
    assert unmatched == 0


def test_labels_fill_an_existing_target_and_count_unknown_ids():
    current = pa.table({"id": ["a", "b"], "y": [1, None]})
    labels = pa.table({"id": ["b", "zz"], "y": [0, 1]})
    joined, unmatched = join_labels(current, labels, id="id", target="y")
    assert joined.column("y").to_pylist() == [1, 0]
    assert unmatched == 1


def test_resent_labels_count_once_and_conflicts_are_errors():
    current = pa.table({"id": [1, 2]})
    same = pa.table({"id": [1, 1, 2], "y": [0, 0, 1]})
    assert join_labels(current, same, id="id")[0].column("y").to_pylist() == [0, 1]
    with pytest.raises(InputError, match="conflicting labels for id 1"):
        join_labels(current, pa.table({"id": [1, 1], "y": [0, 1]}), id="id")


def test_missing_columns_are_named():
    current = pa.table({"id": [1]})
    with pytest.raises(UnknownColumn, match="no id column 'key'"):
        join_labels(current, pa.table({"key": [1], "y": [1]}), id="key")
    with pytest.raises(InputError, match="name the label column"):
        join_labels(current, pa.table({"id": [1], "y": [1], "z": [2]}), id="id")
