"""The throw-away PostgreSQL server of ``creditflow.testing.postgres``."""

from __future__ import annotations

import pytest

from creditflow.testing import postgres


def test_without_binaries_the_server_says_postgres_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres, "postgres_binaries", lambda: None)
    with pytest.raises(postgres.PostgresNotInstalledError, match="not installed"):
        postgres.PostgresServer()


@pytest.mark.postgres
@pytest.mark.skipif(postgres.postgres_binaries() is None, reason="PostgreSQL is not installed")
def test_a_server_serves_its_databases_and_leaves_nothing_behind() -> None:
    import psycopg

    with postgres.PostgresServer(settings={"max_connections": "20"}) as server:
        assert server.root.exists()
        with psycopg.connect(server.dsn, autocommit=True) as connection:
            connection.execute("CREATE DATABASE other")
            assert connection.execute("SHOW max_connections").fetchone() == ("20",)
            assert connection.execute("SHOW fsync").fetchone() == ("off",)
        with psycopg.connect(server.dsn_for("other")) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == ("other",)
    assert not server.root.exists()
