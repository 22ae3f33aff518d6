"""User expectations: one-line rules read from YAML, such as ``income >= 0``.

Forms (a column is a name of letters, digits, ``_``, ``.`` and ``-``, or any name in
backticks; a number may end in ``%``)::

    income >= 0                      every value satisfies the bound (>=, >, <=, <, ==, !=)
    age between 18 and 100           every value within the bounds (inclusive)
    plan in [basic, pro, enterprise] every value is one of these categories
    unique(customer_id)              no value repeats
    missing(age) <= 1%               an aggregate: missing, mean, std, min, max, median,
    mean(income) between 1000 and 9000   distinct; then a bound or ``between``
    rows >= 1000                     the number of rows

>>> parse_expectation("missing(age) <= 1%").bounds
(0.01,)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from steward._exceptions import PlanError

Measure = Literal[
    "value", "rows", "unique", "missing", "mean", "std", "min", "max", "median", "distinct"
]
Op = Literal[">=", ">", "<=", "<", "==", "!=", "between", "in", "unique"]
AGGREGATES = ("missing", "mean", "std", "min", "max", "median", "distinct")

_NAME = r"`(?P<q{0}>[^`]+)`|(?P<n{0}>[A-Za-z_][\w.\-]*)"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?|[+-]?inf"
_UNIQUE = re.compile(rf"^unique\(\s*(?:{_NAME.format(1)})\s*\)$", re.IGNORECASE)
_SUBJECT = re.compile(
    rf"^(?:(?P<rows>rows)|(?P<fn>{'|'.join(AGGREGATES)})\(\s*(?:{_NAME.format(1)})\s*\)"
    rf"|{_NAME.format(2)})\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_COMPARE = re.compile(rf"^(?P<op>>=|<=|==|!=|>|<)\s*(?P<x>{_NUMBER})$")
_BETWEEN = re.compile(rf"^between\s+(?P<a>{_NUMBER})\s+and\s+(?P<b>{_NUMBER})$", re.IGNORECASE)
_IN = re.compile(r"^in\s+(?P<list>\[.*\])$", re.IGNORECASE)
EXAMPLES = "'income >= 0', 'age between 18 and 100', 'plan in [a, b]', 'missing(age) <= 1%'"


class Expectation(BaseModel):
    """One parsed expectation; ``text`` is what the user wrote, ``line`` where (YAML).

    >>> rule = parse_expectation("age between 18 and 100", line=4)
    >>> rule.measure, rule.column, rule.op, rule.bounds, rule.where
    ('value', 'age', 'between', (18.0, 100.0), "'age between 18 and 100' (line 4)")
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    measure: Measure
    op: Op
    column: str | None = None
    bounds: tuple[float, ...] = ()
    members: tuple[str, ...] = ()
    line: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Expectation:
        needed = {"between": 2, "in": 0, "unique": 0}.get(self.op, 1)
        if len(self.bounds) != needed:
            raise ValueError(f"{self.op!r} needs {needed} bound(s), got {len(self.bounds)}")
        if self.op == "between" and self.bounds[0] > self.bounds[1]:
            raise ValueError(f"the lower bound {self.bounds[0]:g} is above the upper one")
        if (self.measure == "rows") != (self.column is None):
            raise ValueError("'rows' takes no column; every other expectation names one")
        return self

    @property
    def where(self) -> str:
        """``'income >= 0'`` or ``'income >= 0' (line 3)`` for messages."""
        return f"{self.text!r}" + (f" (line {self.line})" if self.line is not None else "")


def parse_expectation(text: str, line: int | None = None) -> Expectation:
    """Parse one expectation; a bad one raises :class:`PlanError` naming the text and line."""
    text = " ".join(str(text).split())
    try:
        return Expectation(text=text, line=line, **_fields(text))
    except (ValueError, yaml.YAMLError) as exc:
        where = f"line {line}: " if line is not None else ""
        raise PlanError(f"{where}cannot read expectation {text!r}: {_reason(exc)}") from None


def load_expectations(path: str | Path) -> list[Expectation]:
    """Read ``expectations: [...]`` (or a bare list) from a YAML file, keeping line numbers."""
    try:
        root = yaml.compose(Path(path).read_text())
    except FileNotFoundError:
        raise PlanError(f"expectation file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise PlanError(f"expectation file {path} is not valid YAML: {exc}") from None
    items = _items(root, path)
    return [_parse_node(node, path) for node in items]


def _items(root: yaml.Node | None, path: str | Path) -> list[yaml.Node]:
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        found = [value for key, value in root.value if key.value == "expectations"]
        if not found:
            raise PlanError(f"expectation file {path} has no 'expectations' list")
        root = found[0]
    if isinstance(root, yaml.ScalarNode) and root.value in ("", "null", "~"):
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise PlanError(
            f"line {root.start_mark.line + 1} of {path}: 'expectations' must be a list of strings"
        )
    return list(root.value)


def _parse_node(node: yaml.Node, path: str | Path) -> Expectation:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode):
        raise PlanError(
            f"line {line} of {path}: an expectation is one line of text such as "
            f"{EXAMPLES}; quote it if it contains ': '"
        )
    return parse_expectation(node.value, line)


def _fields(text: str) -> dict[str, Any]:
    unique = _UNIQUE.match(text)
    if unique:
        return {"measure": "unique", "op": "unique", "column": _name(unique, 1)}
    subject = _SUBJECT.match(text)
    if subject is None:
        raise ValueError(f"expected a form such as {EXAMPLES}")
    measure = "rows" if subject["rows"] else (subject["fn"] or "value").lower()
    column = None if measure == "rows" else _name(subject, 1 if subject["fn"] else 2)
    return {"measure": measure, "column": column, **_condition(subject["rest"], measure)}


def _name(match: re.Match[str], group: int) -> str:
    return match[f"q{group}"] or match[f"n{group}"]


def _condition(rest: str, measure: str) -> dict[str, Any]:
    compare, between, inside = _COMPARE.match(rest), _BETWEEN.match(rest), _IN.match(rest)
    if compare:
        return {"op": compare["op"], "bounds": (_number(compare["x"]),)}
    if between:
        return {"op": "between", "bounds": (_number(between["a"]), _number(between["b"]))}
    if inside and measure == "value":
        return {"op": "in", "members": _members(inside["list"])}
    raise ValueError(
        f"cannot read the condition {rest!r}; expected e.g. '>= 0', "
        "'between 1 and 9' or 'in [a, b]'"
    )


def _number(token: str) -> float:
    return float(token[:-1]) / 100 if token.endswith("%") else float(token)


def _members(text: str) -> tuple[str, ...]:
    values = yaml.safe_load(text)
    if not isinstance(values, list) or not values:
        raise ValueError(f"{text} is not a non-empty list")
    return tuple(_category(v) for v in values)


def _category(value: object) -> str:
    """A list item as the profile labels categories: true/false, 7 for 7.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in errors())
    return str(exc)
