"""Training entry points: registered first, allow-listed imports second, nothing else."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from steward._exceptions import TrainingError
from steward.monitor.trainers import (
    ALLOW_ENV,
    TRAINERS,
    TrainedModel,
    allowed_entry_points,
    register_trainer,
    resolve_trainer,
    trainer,
    unregister_trainer,
)


def _fn(data: object, context: object) -> TrainedModel:
    return TrainedModel(path="model.skops")


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("steward_trainer_mod")]:
        del sys.modules[name]


def test_register_and_resolve() -> None:
    register_trainer("owner.models:fit", _fn)
    try:
        assert resolve_trainer("owner.models:fit") is _fn
        assert register_trainer("owner.models:fit", _fn) is _fn  # same function again: fine
        with pytest.raises(ValueError, match="registered twice"):
            register_trainer("owner.models:fit", lambda d, c: None)
    finally:
        unregister_trainer("owner.models:fit")
    assert "owner.models:fit" not in TRAINERS


def test_decorator_registers() -> None:
    @trainer("owner.decorated:fit")
    def fit(data: object, context: object) -> TrainedModel:
        return TrainedModel(path="x")

    try:
        assert resolve_trainer("owner.decorated:fit") is fit
    finally:
        unregister_trainer("owner.decorated:fit")


def test_unregistered_entry_point_is_never_imported(
    module_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (module_dir / "steward_trainer_mod_canary.py").write_text("raise SystemExit('imported')\n")
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    with pytest.raises(TrainingError, match="is not registered") as caught:
        resolve_trainer("steward_trainer_mod_canary:train")
    assert "steward_trainer_mod_canary" not in sys.modules
    assert f"{ALLOW_ENV}=steward_trainer_mod_canary:train" in str(caught.value)
    monkeypatch.setenv(ALLOW_ENV, "steward_trainer_mod_canary:other")  # a different function
    with pytest.raises(TrainingError, match="is not registered"):
        resolve_trainer("steward_trainer_mod_canary:train")
    assert "steward_trainer_mod_canary" not in sys.modules


def test_allow_listed_entry_point_is_imported(
    module_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (module_dir / "steward_trainer_mod_ok.py").write_text(
        "def train(data, context):\n    return 'trained'\n"
    )
    monkeypatch.setenv(ALLOW_ENV, " other:fn , steward_trainer_mod_ok:train")
    assert allowed_entry_points() == ["other:fn", "steward_trainer_mod_ok:train"]
    fn = resolve_trainer("steward_trainer_mod_ok:train")
    assert fn(None, None) == "trained"


def test_allow_listed_module_that_registers_itself(
    module_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (module_dir / "steward_trainer_mod_self.py").write_text(
        "from steward.monitor.trainers import trainer\n"
        "@trainer('steward_trainer_mod_self:fit')\n"
        "def fit(data, context):\n    return 'self'\n"
    )
    monkeypatch.setenv(ALLOW_ENV, "steward_trainer_mod_self:fit")
    try:
        assert resolve_trainer("steward_trainer_mod_self:fit")(None, None) == "self"
        assert "steward_trainer_mod_self:fit" in TRAINERS
    finally:
        unregister_trainer("steward_trainer_mod_self:fit")


def test_allow_listed_but_broken(module_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (module_dir / "steward_trainer_mod_nofn.py").write_text("VALUE = 1\n")
    monkeypatch.setenv(ALLOW_ENV, "steward_trainer_mod_nofn:train,steward_trainer_mod_gone:train")
    with pytest.raises(TrainingError, match="has no function 'train'"):
        resolve_trainer("steward_trainer_mod_nofn:train")
    with pytest.raises(TrainingError, match="cannot import trainer module"):
        resolve_trainer("steward_trainer_mod_gone:train")


@pytest.mark.parametrize("bad", ["no_colon", "a:b:c", "os.system; rm:x", ":f", "m:1f"])
def test_malformed_entry_points(bad: str) -> None:
    with pytest.raises(TrainingError, match="module:function"):
        resolve_trainer(bad)
    with pytest.raises(TrainingError, match="module:function"):
        register_trainer(bad, _fn)


def test_non_callable_is_refused() -> None:
    with pytest.raises(TrainingError, match="callable"):
        register_trainer("owner.models:fit", "not a function")  # type: ignore[arg-type]


def test_module_examples_run() -> None:
    import doctest

    import steward.monitor.trainers as trainers

    assert doctest.testmod(trainers).failed == 0
    assert "docs.example:train" not in TRAINERS
