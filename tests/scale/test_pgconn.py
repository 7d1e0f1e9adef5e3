"""The PostgreSQL store's connections (runtime/store/pgconn.py): how they are made, pooled and listened on."""

from __future__ import annotations

from runtime.store.pgconn import connect


def test_a_connection_is_named_pyfn_times_out_connecting_and_takes_other_settings(pg_url):
    with connect(pg_url) as conn:
        assert conn.autocommit
        assert conn.execute("SHOW application_name").fetchone() == ("pyfn",)
        assert conn.info.get_parameters()["connect_timeout"] == "10"
    with connect(pg_url, application_name="pyfn-db", connect_timeout=3, options="-c statement_timeout=1234") as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("pyfn-db",)
        assert conn.info.get_parameters()["connect_timeout"] == "3"
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1234ms",)
