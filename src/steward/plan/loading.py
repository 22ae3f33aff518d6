"""Read a maintenance plan from YAML and explain every mistake with its line and column.

A plan is data: the YAML is parsed with the safe loader (no tags that build objects), then
validated by :class:`~steward.plan.schema.MaintenancePlan`. Nothing named in the plan is
imported or executed here; a training entry point stays a ``module:function`` string.

Each pydantic error is mapped back to the YAML node it is about, so the message reads like
a compiler's (``FILE:LINE:COL: dotted.path: message``) and editors can jump to it:

>>> validate_text("model: credit\\ngate:\\n  alpha: 2\\n", "plan.yaml")
Traceback (most recent call last):
...
steward._exceptions.PlanError: plan.yaml: 1 error in the plan
plan.yaml:3:10: gate.alpha: Input should be less than 1
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from steward._exceptions import PlanError
from steward.plan.schema import MaintenancePlan

Loc = tuple[int | str, ...]
MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class _Issue:
    """One mistake in a plan: where it is (1-based line and column) and what is wrong."""

    line: int | None
    column: int | None
    path: str
    message: str

    def render(self, filename: str) -> str:
        where = f"{filename}:{self.line}:{self.column}" if self.line else filename
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def load_plan(source: str | Path | Mapping[str, Any] | MaintenancePlan) -> MaintenancePlan:
    """A validated plan from a YAML file (``str`` or ``Path``), a mapping, or a plan.

    YAML *text* goes to :func:`validate_text`; a string here is always a file name.
    """
    if isinstance(source, MaintenancePlan):
        return source
    if isinstance(source, Mapping):
        return _validate_mapping(source)
    return validate_text(read_plan_file(source), filename=str(source))


def read_plan_file(path: str | Path) -> str:
    """The text of a plan file, or a :class:`PlanError` saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlanError(f"plan file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise PlanError(f"plan file is a folder: {path}") from exc
    except UnicodeDecodeError as exc:
        raise PlanError(f"plan file {path} is not UTF-8 text: {exc.reason}") from exc


def validate_text(text: str, filename: str = "<plan>") -> MaintenancePlan:
    """Parse and validate YAML plan text; every error is reported at once, with its line."""
    root, data = _parse(text, filename)
    issues = list(_shape_issues(root)) + list(_duplicate_keys(root))
    if not issues:
        try:
            return MaintenancePlan.model_validate(data)
        except ValidationError as exc:
            issues = [_issue(root, error) for error in exc.errors()]
    raise _plan_error(filename, issues)


def _parse(text: str, filename: str) -> tuple[Node | None, Any]:
    """The node tree (for positions) and the data (safe loader: no Python objects)."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise _plan_error(filename, [_Issue(line, column, "", f"YAML: {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise _plan_error(filename, [_Issue(None, None, "", f"YAML: {exc}")]) from exc
    except RecursionError as exc:  # e.g. a mapping merged into itself
        raise _plan_error(filename, [_Issue(None, None, "", "YAML: recursive structure")]) from exc


def _shape_issues(root: Node | None) -> Iterator[_Issue]:
    """A plan must be one mapping of sections; say so plainly for empty files and lists."""
    if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null")):
        yield _Issue(1, 1, "", "the plan is empty; it needs at least `model: NAME`")
    elif not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else f"the value {_scalar(root)!r}"
        line, column = _position(root)
        yield _Issue(
            line, column, "", f"a plan is a mapping of sections (model, checks, …), not {kind}"
        )


def _duplicate_keys(
    node: Node | None, path: Loc = (), seen: set[int] | None = None
) -> Iterator[_Issue]:
    """YAML keeps the last of two equal keys silently; in a plan that hides a mistake.

    Each node is visited once, so aliases (even recursive ones) cannot blow up the walk.
    """
    seen = set() if seen is None else seen
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index), seen)
    elif isinstance(node, MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            name = _scalar(key)
            if name in keys:
                yield _Issue(*_position(key), _dotted((*path, name)), "duplicate key")
            keys.add(name)
            yield from _duplicate_keys(value, (*path, name), seen)


def _issue(root: Node | None, error: Mapping[str, Any]) -> _Issue:
    """One pydantic error located in the YAML tree, with a message a plan author can act on.

    A missing key points at the mapping that lacks it, an unknown key at the key, a bad
    scalar at the value itself, and a bad block (mapping or list) at the key naming it.
    """
    loc: Loc = tuple(error["loc"])
    missing = error["type"] == "missing"
    name, node, matched = _walk(root, loc[:-1] if missing else loc)
    if missing:
        at, matched = node, (*matched, loc[-1])
    elif error["type"] != "extra_forbidden" and isinstance(node, ScalarNode):
        at = node
    else:
        at = name
    return _Issue(*_position(at), _dotted(matched), _message(error, loc))


def _walk(root: Node | None, loc: Loc) -> tuple[Node | None, Node | None, Loc]:
    """Along ``loc``: the last key (or list item) passed, the node reached, the parts matched.

    A part that names no node (a pydantic tag such as ``int`` inside a union, or
    ``[key]``) is skipped.
    """
    name, node, matched = root, root, ()
    for part in loc:
        step = _child(node, part)
        if step is None:
            continue
        name, node = step
        matched = (*matched, part)
    return name, node, matched


def _child(node: Node | None, part: int | str) -> tuple[Node, Node] | None:
    """(node to point at, node to descend into) for one ``loc`` part, or ``None``."""
    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item
    if isinstance(node, MappingNode):
        for key, value in _pairs(node):
            if _scalar(key) == str(part):
                return key, value
    return None


def _pairs(node: MappingNode, seen: frozenset[int] = frozenset()) -> Iterator[tuple[Node, Node]]:
    """A mapping's key/value nodes, then those merged in with ``<<: *anchor`` (which the
    mapping's own keys override); a mapping merged into itself is not followed again."""
    seen = seen | {id(node)}
    merges = [value for key, value in node.value if key.tag == MERGE]
    yield from ((key, value) for key, value in node.value if key.tag != MERGE)
    for value in merges:
        for source in value.value if isinstance(value, SequenceNode) else [value]:
            if isinstance(source, MappingNode) and id(source) not in seen:
                yield from _pairs(source, seen)


def _scalar(node: Node) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else f"<{type(node).__name__}>"


def _position(node: Node | None) -> tuple[int | None, int | None]:
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def _dotted(path: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in path)


def _message(error: Mapping[str, Any], loc: Loc) -> str:
    """Pydantic's message, minus its internal prefixes; clearer words for keys."""
    kind = error["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    text = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    return text


def _unknown_key(loc: Loc) -> str:
    """'unknown key' plus the keys allowed there and, for a near miss, a suggestion."""
    allowed = _keys_at(loc[:-1])
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(allowed)})"


def _keys_at(loc: Loc) -> list[str]:
    """The keys the schema accepts in the mapping at ``loc`` (aliases where they exist)."""
    current: Any = MaintenancePlan
    for part in loc:
        current = _step_type(current, part)
        if current is None:
            return []
    model = _model_in(current)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _step_type(annotation: Any, part: int | str) -> Any:
    """The type one ``loc`` part further down: a model's field, or a container's item."""
    model = _model_in(annotation)
    if model is not None:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    args = [a for a in _flatten(annotation) if typing.get_origin(a) in (list, dict, tuple)]
    return typing.get_args(args[0])[-1] if args else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in _flatten(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _flatten(annotation: Any) -> list[Any]:
    """The members of a union (``X | None``), or the annotation itself."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _validate_mapping(data: Mapping[str, Any]) -> MaintenancePlan:
    try:
        return MaintenancePlan.model_validate(dict(data))
    except ValidationError as exc:
        issues = [_mapping_issue(error) for error in exc.errors()]
        raise _plan_error("<plan>", issues) from exc


def _mapping_issue(error: Mapping[str, Any]) -> _Issue:
    loc: Loc = tuple(error["loc"])
    return _Issue(None, None, _dotted(loc), _message(error, loc))


def _plan_error(filename: str, issues: Sequence[_Issue]) -> PlanError:
    """One error listing every issue in file order, one line each."""
    ordered = _merged(sorted(issues, key=lambda i: (i.line or 0, i.column or 0, i.path)))
    count = f"{len(ordered)} error{'s' if len(ordered) != 1 else ''}"
    lines = [f"{filename}: {count} in the plan", *(i.render(filename) for i in ordered)]
    return PlanError("\n".join(lines))


def _merged(issues: Sequence[_Issue]) -> list[_Issue]:
    """Issues at the same place joined into one (a union's branches each report one)."""
    merged: list[_Issue] = []
    for issue in issues:
        last = merged[-1] if merged else None
        if last and (last.line, last.column, last.path) == (issue.line, issue.column, issue.path):
            if issue.message not in last.message:
                merged[-1] = replace(last, message=f"{last.message}; or {issue.message}")
        else:
            merged.append(issue)
    return merged
