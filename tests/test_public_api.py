"""The public surface is pinned: growing it is a decision, not an accident."""

import steward

EXPECTED = {
    "CheckError",
    "CheckPlan",
    "Column",
    "ColumnPolicy",
    "DriftPolicy",
    "EmptyInput",
    "Finding",
    "InputError",
    "Kind",
    "PlanError",
    "Profile",
    "ProfileConfig",
    "ProfileMismatch",
    "Report",
    "Role",
    "Schema",
    "SchemaError",
    "StewardError",
    "UnknownCheck",
    "UnknownColumn",
    "UnreadableInput",
    "Verdict",
    "WindowPolicy",
    "__version__",
    "compare",
    "infer_schema",
    "load_schema",
    "profile",
    "to_arrow",
}


def test_exported_members_are_pinned():
    assert set(steward.__all__) == EXPECTED


def test_every_export_exists():
    for name in steward.__all__:
        assert hasattr(steward, name), name


def test_errors_share_one_base():
    for name in steward.__all__:
        value = getattr(steward, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, steward.StewardError)


def test_import_makes_no_network_calls(monkeypatch):
    import importlib
    import socket
    import sys

    def refuse(*args, **kwargs):
        raise AssertionError("network access at import time")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    for module in [m for m in sys.modules if m == "steward" or m.startswith("steward.")]:
        monkeypatch.delitem(sys.modules, module)
    importlib.import_module("steward")
