from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from steward._exceptions import ArtifactError, Conflict, IntegrityError, NotFound
from steward.registry import ModelRegistry
from steward.store import Store
from steward.store.tables import AuditRow


def _data(seed: int = 0, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = (frame.x1 + 0.5 * frame.x2 + rng.normal(0, 0.5, n) > 0).astype(int)
    return frame


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    frame = _data()
    model = LogisticRegression().fit(frame[["x1", "x2"]], frame.y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    return path


@pytest.fixture
def registry(store: Store) -> ModelRegistry:
    return ModelRegistry(store)


def _register(registry: ModelRegistry, artifact: Path, name: str = "credit") -> int:
    version = registry.register(name, artifact, reference=_data(), target="y", actor="ann")
    return version.version


def test_register_records_everything(registry: ModelRegistry, artifact: Path) -> None:
    version = registry.register(
        "credit",
        artifact,
        reference=_data(),
        target="y",
        actor="ann",
        lineage={"metrics": {"auc": 0.9}, "code_version": "abc123", "tags": {"team": "risk"}},
    )
    assert (version.model, version.version, version.format) == ("credit", 1, "skops")
    assert version.task == "classification"
    assert version.classes == [0, 1]
    assert version.features == ["x1", "x2"]
    assert version.created_by == "ann"
    assert version.trusted is False
    assert version.lineage["metrics"] == {"auc": 0.9}
    assert version.lineage["code_version"] == "abc123"
    assert len(version.lineage["training_data"]) == 64
    assert version.lineage["reference"]["rows"] == 400
    profile = registry.reference_profile("credit", 1)
    assert profile.rows == 400
    assert registry.reference_data("credit", 1).num_rows == 400
    assert _register(registry, artifact) == 2
    assert [v.version for v in registry.versions("credit")] == [1, 2]


def test_registered_model_predicts_like_the_original(
    registry: ModelRegistry, artifact: Path
) -> None:
    _register(registry, artifact)
    frame = _data(seed=1)
    original = sio.load(artifact, trusted=sio.get_untrusted_types(file=artifact))
    loaded = registry.load("credit", 1)
    import pyarrow as pa

    result = loaded.predict(pa.Table.from_pandas(frame))
    np.testing.assert_array_equal(result.predictions, original.predict(frame[["x1", "x2"]]))
    np.testing.assert_allclose(result.scores, original.predict_proba(frame[["x1", "x2"]]))


def test_same_fingerprint_for_same_data(registry: ModelRegistry, artifact: Path) -> None:
    a = registry.register("a", artifact, reference=_data(), actor="x")
    b = registry.register("b", artifact, reference=_data().to_dict("records"), actor="x")
    assert a.lineage["training_data"] == b.lineage["training_data"]


def test_changed_artifact_is_refused(registry: ModelRegistry, artifact: Path) -> None:
    _register(registry, artifact)
    stored = registry.get("credit", 1)
    path = registry.store.artifacts.path(stored.artifact_id)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="changed since registration"):
        registry.load("credit", 1)


def test_promote_rollback_history(registry: ModelRegistry, artifact: Path) -> None:
    for _ in range(3):
        _register(registry, artifact)
    registry.promote("credit", 1, actor="ann", reason="first")
    registry.promote("credit", 2, actor="bob", reason="better")
    registry.promote("credit", 3, alias="challenger", actor="bob")
    registry.promote("credit", 3, actor="bob", reason="gate passed")
    assert registry.aliases("credit") == {"champion": [3]}
    back = registry.rollback("credit", actor="ops", reason="error rate")
    assert (back.version, back.previous) == (2, 3)
    assert registry.get("credit", "champion").version == 2
    back = registry.rollback("credit", actor="ops", reason="again")
    assert (back.version, back.previous) == (1, 2)
    with pytest.raises(Conflict, match="no previous champion"):
        registry.rollback("credit", actor="ops")
    history = registry.history("credit")
    assert [(e.action, e.alias, e.version, e.previous) for e in history] == [
        ("promote", "champion", 1, None),
        ("promote", "champion", 2, 1),
        ("promote", "challenger", 3, None),
        ("promote", "champion", 3, 2),
        ("rollback", "champion", 2, 3),
        ("rollback", "champion", 1, 2),
    ]
    assert [e.actor for e in history] == ["ann", "bob", "bob", "bob", "ops", "ops"]
    assert history[1].reason == "better"
    assert [e.at for e in history] == sorted(e.at for e in history)


def test_promote_after_rollback_keeps_the_stack(registry: ModelRegistry, artifact: Path) -> None:
    for _ in range(3):
        _register(registry, artifact)
    registry.promote("credit", 1, actor="a")
    registry.promote("credit", 2, actor="a")
    registry.rollback("credit", actor="a")
    registry.promote("credit", 3, actor="a")
    assert registry.rollback("credit", actor="a").version == 1


def test_challengers_and_fallback(registry: ModelRegistry, artifact: Path) -> None:
    for _ in range(4):
        _register(registry, artifact)
    registry.promote("credit", 1, actor="a")
    registry.promote("credit", 2, alias="challenger", actor="a")
    registry.promote("credit", 3, alias="challenger", actor="a")
    registry.promote("credit", 4, alias="fallback", actor="a")
    assert registry.aliases("credit") == {
        "challenger": [2, 3],
        "champion": [1],
        "fallback": [4],
    }
    assert [v.version for v in registry.resolve("credit", "challenger")] == [3, 2]
    with pytest.raises(Conflict, match="already the challenger"):
        registry.promote("credit", 2, alias="challenger", actor="a")
    with pytest.raises(Conflict, match="several challenger"):
        registry.demote("credit", alias="challenger", actor="a")
    registry.demote("credit", 2, alias="challenger", actor="a", reason="worse")
    registry.promote("credit", 3, actor="a")
    assert registry.aliases("credit") == {"champion": [3], "fallback": [4]}
    assert registry.get("credit", 3).aliases == ("champion",)


def test_clear_errors(registry: ModelRegistry, artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="unknown model 'nope'"):
        registry.get("nope")
    _register(registry, artifact)
    with pytest.raises(NotFound, match=r"no version 7; versions: \[1\]"):
        registry.promote("credit", 7, actor="a")
    with pytest.raises(NotFound, match="no 'champion' alias"):
        registry.get("credit", "champion")
    with pytest.raises(ArtifactError, match="artifact not found"):
        registry.register("credit", tmp_path / "missing.skops", reference=_data(), actor="a")
    with pytest.raises(Conflict, match="not the fallback"):
        registry.demote("credit", 1, alias="fallback", actor="a")


def test_failed_registration_leaves_nothing(
    registry: ModelRegistry, artifact: Path, tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="unknown column"):
        registry.register("credit", artifact, reference=_data(), target="nope", actor="a")
    assert registry.models() == []
    folder = registry.store.artifacts.root
    assert not folder.exists() or list(folder.iterdir()) == []


def test_every_action_is_audited(registry: ModelRegistry, artifact: Path) -> None:
    _register(registry, artifact)
    registry.promote("credit", 1, actor="ann", reason="go")
    registry.trust("credit", 1, actor="admin")
    with registry.store.session() as session:
        actions = [(r.action, r.actor) for r in session.query(AuditRow).order_by(AuditRow.id)]
    assert actions == [
        ("model.register", "ann"),
        ("alias.promote", "ann"),
        ("model.trust", "admin"),
    ]


def test_concurrent_promotions_keep_one_champion(registry: ModelRegistry, artifact: Path) -> None:
    for _ in range(4):
        _register(registry, artifact)
    errors: list[BaseException] = []

    def promote(version: int) -> None:
        try:
            for _ in range(5):
                registry.promote("credit", version, actor=f"t{version}")
        except Conflict:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=promote, args=(v,)) for v in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry.aliases("credit")["champion"]) == 1
    history = registry.history("credit")
    for before, after in itertools.pairwise(history):
        assert after.previous == before.version
