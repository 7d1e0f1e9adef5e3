"""Accounts and the ``Authorization`` header: ApiKey, Basic and Digest, as HQ accepts them.

An account has a username, a password, an API key, a user id and the domains
it may use. :meth:`Accounts.authenticate` returns the account a request
proves, or ``None`` (the server then answers 401).

Example:
    >>> accounts = Accounts()
    >>> _ = accounts.add("demo@example.com", password="demo", api_key="demo-api-key", domains=["demo"])
    >>> accounts.authenticate("GET", "ApiKey demo@example.com:demo-api-key")["username"]
    'demo@example.com'
    >>> accounts.authenticate("GET", "apikey demo@example.com:wrong") is None
    True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import uuid

__all__ = ["Accounts", "REALM"]

REALM = "CommCare HQ"
_DIGEST_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class Accounts:
    """The users that may call the simulator, keyed by username (thread-safe).

    Example:
        >>> Accounts().add("a@b.c", password="p")["domains"]
        set()
    """

    def __init__(self) -> None:
        self._by_name: dict[str, dict] = {}
        self._nonces: set[str] = set()
        self._lock = threading.Lock()

    def add(self, username: str, password: str | None = None, api_key: str | None = None,
            domains: list[str] | None = None, user_id: str | None = None) -> dict:
        """Add or replace an account and return it.

        Example:
            >>> Accounts().add("me@example.com", api_key="k", domains=["demo"])["api_key"]
            'k'
        """
        account = {"username": username, "password": password, "api_key": api_key,
                   "domains": set(domains or ()), "user_id": user_id or uuid.uuid4().hex}
        with self._lock:
            self._by_name[username] = account
        return account

    def get(self, username: str) -> dict | None:
        """The account called ``username``, if any.

        Example:
            >>> Accounts().get("nobody") is None
            True
        """
        return self._by_name.get(username)

    def all(self) -> list[dict]:
        """Every account, in the order they were added.

        Example:
            >>> accounts = Accounts(); _ = accounts.add("a@b.c")
            >>> [a["username"] for a in accounts.all()]
            ['a@b.c']
        """
        return list(self._by_name.values())

    def authenticate(self, method: str, header: str | None) -> dict | None:
        """The account proven by an ``Authorization`` header value, or ``None``.

        Example:
            >>> accounts = Accounts(); _ = accounts.add("a@b.c", password="pw")
            >>> accounts.authenticate("GET", "Basic YUBiLmM6cHc=")["username"]
            'a@b.c'
        """
        scheme, _, credentials = (header or "").strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "apikey":
            username, _, key = credentials.strip().rpartition(":")
            account = self._by_name.get(username)
            ok = account and account["api_key"] and hmac.compare_digest(account["api_key"], key)
            return account if ok else None
        if scheme == "basic":
            return self._basic(credentials)
        if scheme == "digest":
            return self._digest(method, credentials)
        return None

    def _basic(self, credentials: str) -> dict | None:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, _, password = decoded.partition(":")
        account = self._by_name.get(username)
        ok = account and account["password"] and hmac.compare_digest(account["password"], password)
        return account if ok else None

    def challenge(self) -> str:
        """A ``WWW-Authenticate`` value offering Basic and Digest (a fresh nonce).

        Example:
            >>> Accounts().challenge().startswith('Digest realm="CommCare HQ"')
            True
        """
        nonce = secrets.token_hex(16)
        with self._lock:
            if len(self._nonces) > 10_000:
                self._nonces.clear()
            self._nonces.add(nonce)
        return f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm=MD5'

    def _digest(self, method: str, credentials: str) -> dict | None:
        params = {k: a or b for k, a, b in _DIGEST_PARAM.findall(credentials)}
        account = self._by_name.get(params.get("username", ""))
        if not account or not account["password"] or params.get("nonce") not in self._nonces:
            return None
        ha1 = _md5(f"{account['username']}:{REALM}:{account['password']}")
        ha2 = _md5(f"{method}:{params.get('uri', '')}")
        if params.get("qop"):
            parts = [ha1, params["nonce"], params.get("nc", ""), params.get("cnonce", ""), params["qop"], ha2]
        else:
            parts = [ha1, params["nonce"], ha2]
        expected = _md5(":".join(parts))
        return account if hmac.compare_digest(expected, params.get("response", "")) else None
