"""Scale-out tests: many processes on one PostgreSQL database.

``pg_url`` (a fresh database) and ``postgres_cluster`` come from tests/conftest.py: a
throwaway cluster per session, or ``PYFN_TEST_POSTGRES_URL``'s server (see
``tests/postgres.py``). Without PostgreSQL these tests fail and say how to install it.
"""
