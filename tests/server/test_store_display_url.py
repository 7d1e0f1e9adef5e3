"""How a PostgreSQL store URL is shown in logs and errors: its password masked, nothing else changed."""

from __future__ import annotations

import pytest

from runtime.store.postgres import display_url


@pytest.mark.parametrize("url, shown", [
    ("postgresql://pyfn:s3cret@db.internal:5432/pyfn", "postgresql://pyfn:****@db.internal:5432/pyfn"),
    ("postgresql://pyfn@db.internal/pyfn", "postgresql://pyfn@db.internal/pyfn"),
    ("postgresql://db.internal/pyfn?sslmode=require", "postgresql://db.internal/pyfn?sslmode=require"),
    # the password also appears in the path: only the one in the address is masked
    ("postgresql://u:pw@h/pw", "postgresql://u:****@h/pw"),
    ("postgresql://u:@h/db", "postgresql://u:****@h/db"),
])
def test_a_store_url_is_shown_with_its_password_masked(url, shown):
    assert display_url(url) == shown
