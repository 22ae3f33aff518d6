"""The training entry point of the demo's credit model (``examples.credit_training:train``).

Importing this module registers ``train`` with Steward, which is how an owner makes a
plan's ``retrain.entry_point`` runnable (``steward serve`` imports the modules listed in
``STEWARD_TRAINERS``; a notebook simply imports this one). The model is a scikit-learn
pipeline — scaled numbers, one-hot categories, logistic regression — saved with skops,
a format Steward loads without trusting arbitrary code.

>>> import numpy as np, pyarrow as pa, tempfile
>>> from datetime import datetime, timezone
>>> from steward.datasets import applicants, default_probability
>>> rng = np.random.default_rng(0)
>>> x = applicants(2000, rng)
>>> data = pa.table({**x, "defaulted": (rng.random(2000) < default_probability(x)).astype(int)})
>>> context = TrainingContext(model="credit", target="defaulted", features=list(x),
...     task="classification", classes=[0, 1], parent_version=1, trigger="manual", job_id=1,
...     workdir=Path(tempfile.mkdtemp()), now=datetime.now(timezone.utc))
>>> trained = train(data, context)
>>> trained.format, trained.path.name, 0.5 < trained.metrics["train_accuracy"] <= 1.0
('skops', 'credit.skops', True)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from steward.monitor.trainers import TrainedModel, TrainingContext, trainer

CATEGORICAL = ["region", "employment"]
ENTRY_POINT = "examples.credit_training:train"


def _pipeline(numeric: list[str], categorical: list[str]) -> object:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return Pipeline([("columns", columns), ("model", LogisticRegression(max_iter=1000))])


@trainer(ENTRY_POINT)
def train(data: pa.Table, context: TrainingContext) -> TrainedModel:
    """Fit the credit pipeline on ``data`` (features + ``context.target``); save it with skops."""
    import skops.io as sio

    frame = data.select([*context.features, context.target]).to_pandas()
    categorical = [c for c in context.features if c in CATEGORICAL]
    numeric = [c for c in context.features if c not in CATEGORICAL]
    frame[numeric] = frame[numeric].astype(float)  # booleans and integers alike
    y = frame.pop(context.target).astype(int)
    model = _pipeline(numeric, categorical).fit(frame, y)
    path = Path(context.workdir) / f"{context.model}.skops"
    sio.dump(model, path)
    accuracy = float(np.mean(model.predict(frame) == y))
    return TrainedModel(path=path, format="skops", metrics={"train_accuracy": accuracy})
