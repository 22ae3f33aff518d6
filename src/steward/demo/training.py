"""The demo's model and its training entry point (a scikit-learn pipeline saved with skops).

The same function trains the first version at registration and, registered as the plan's
entry point ``steward.demo.training:train``, every retrained version afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from steward.monitor.trainers import TrainedModel, TrainingContext, register_trainer

ENTRY_POINT = "steward.demo.training:train"
NUMERIC = ["age", "income", "credit_score", "debt_ratio", "open_accounts", "has_mortgage"]
CATEGORICAL = ["region", "employment"]
TARGET = "defaulted"


def fit(table: pa.Table, target: str = TARGET) -> object:
    """A scaler + one-hot + logistic-regression pipeline fitted on ``table``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prepare = ColumnTransformer(
        [
            ("numeric", StandardScaler(), NUMERIC),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = Pipeline([("prepare", prepare), ("classify", LogisticRegression(max_iter=1000))])
    return model.fit(_frame(table), table.column(target).to_numpy())


def save(model: object, path: Path) -> Path:
    import skops.io as sio

    sio.dump(model, path)
    return path


def train(data: pa.Table, context: TrainingContext) -> TrainedModel:
    """The plan's training entry point: refit on the recent labelled rows."""
    model = fit(data, context.target)
    path = save(model, context.workdir / "model.skops")
    accuracy = float((model.predict(_frame(data)) == data.column(context.target).to_numpy()).mean())
    return TrainedModel(path=path, format="skops", metrics={"train_accuracy": accuracy})


def _frame(table: pa.Table) -> object:
    return table.select([*NUMERIC, *CATEGORICAL]).to_pandas()


register_trainer(ENTRY_POINT, train)
