"""The PostgreSQL fixture itself: PostgreSQL refuses to run as root, so as root (CI) the
server runs as nobody; as any other user it runs as that user. Whichever this run is, the
session fixture covers it; this test covers the other way round where it can."""

from __future__ import annotations

import os

import psycopg

from tests.central.postgres import Postgres


def test_the_server_answers_as_the_fixture_started_it(postgres: Postgres) -> None:
    with psycopg.connect(postgres.create_database()) as conn:
        assert conn.execute("SELECT 1 + 1").fetchone() == (2,)
    owner = postgres.data.stat().st_uid
    assert owner == (65534 if os.geteuid() == 0 else os.geteuid())


def test_the_fixture_also_works_for_a_user_who_is_not_root() -> None:
    import pytest

    from tests.drivers.unprivileged import interpreter, run_as_nobody

    if os.geteuid() != 0:
        pytest.skip("this run is not root: the session fixture already ran as this user")
    found = interpreter()
    if found is None:
        pytest.skip("no Python interpreter that nobody may run")
    prefix, env = found
    script = (
        "import os, psycopg\n"
        "from tests.central.postgres import running_postgres\n"
        "with running_postgres() as pg:\n"
        "    with psycopg.connect(pg.create_database()) as conn:\n"
        "        print(os.geteuid(), pg.data.stat().st_uid, conn.execute('SELECT 7').fetchone()[0])\n"
    )
    done = run_as_nobody([prefix[0], "-c", script], env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["65534", "65534", "7"]
