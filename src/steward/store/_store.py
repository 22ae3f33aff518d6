"""The store: one SQLAlchemy engine, migrated to the newest schema when opened.

SQLite (default, one file under ``STEWARD_HOME``, WAL mode so readers never block the
writer) or PostgreSQL by URL. Alembic owns the schema from the first version on: opening a
store runs ``upgrade head``.

>>> import tempfile, pathlib
>>> store = Store.open(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'steward.db'}")
>>> store.dialect
'sqlite'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from steward._exceptions import StoreError
from steward.store._config import database_url, home
from steward.store.artifacts import ArtifactStore

MIGRATIONS = Path(__file__).with_name("migrations")


class Store:
    """Engine, session factory and artifact folder for one Steward installation."""

    def __init__(self, engine: Engine, artifacts: ArtifactStore) -> None:
        self.engine = engine
        self.artifacts = artifacts
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls, url: str | None = None, *, home_dir: Path | None = None, migrate: bool = True
    ) -> Store:
        """Open (creating and migrating if needed) the store at ``url`` or from the env."""
        base = Path(home_dir) if home_dir is not None else home()
        url = url or database_url(base)
        engine = _engine(url)
        store = cls(engine, ArtifactStore(base / "artifacts"))
        if migrate:
            store.migrate()
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except SQLAlchemyError as exc:
                session.rollback()
                raise StoreError(f"store operation failed: {_short(exc)}") from exc
            except BaseException:
                session.rollback()
                raise

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it already is)."""
        from alembic import command

        try:
            with self.engine.begin() as connection:
                command.upgrade(_alembic_config(connection), "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate store {self.engine.url!r}: {_short(exc)}") from exc

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            return _sqlite_engine(url)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot open store {url!r}: {_short(exc)}") from exc


def _sqlite_engine(url: str) -> Engine:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
