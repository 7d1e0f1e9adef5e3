"""The tests' PostgreSQL: missing binaries fail loudly with the way to install them."""

from __future__ import annotations

import pytest

from tests import postgres


def test_missing_binaries_say_how_to_install_them(monkeypatch):
    monkeypatch.delenv(postgres.ENV, raising=False)
    monkeypatch.setattr(postgres.shutil, "which", lambda name: None)
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    with pytest.raises(postgres.PostgresMissing, match=r"apt-get install -y postgresql.*PYFN_TEST_POSTGRES_URL"):
        postgres.TempCluster().start()


def test_an_external_server_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv(postgres.ENV, "postgresql://pyfn@db.example:5433/postgres")
    cluster = postgres.TempCluster().start()
    assert cluster.external and cluster.url == "postgresql://pyfn@db.example:5433/postgres"
    cluster.stop()  # leaves an external server alone
