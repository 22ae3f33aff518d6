"""Regenerate ``0001_initial`` from ``steward.store.tables`` (before the first release only).

Run ``python tools/regen_initial_migration.py`` after changing a table, while no release
has shipped.
After the first release, add a new revision instead (``alembic revision --autogenerate``).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from steward.store._store import MIGRATIONS, _alembic_config

INITIAL = MIGRATIONS / "versions" / "0001_initial.py"


def main() -> None:
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        with engine.begin() as connection:
            config = _alembic_config(connection)
            command.revision(config, "initial schema", autogenerate=True, rev_id="0001")
    generated = next((MIGRATIONS / "versions").glob("0001_*.py"))
    generated.rename(INITIAL)
    subprocess.run(["ruff", "format", str(INITIAL)], check=True)
    subprocess.run(["ruff", "check", "--fix", "-q", str(INITIAL)], check=False)
    print(f"wrote {INITIAL}")


if __name__ == "__main__":
    main()
