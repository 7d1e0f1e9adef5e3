"""What is secret in a run, and the one :class:`Masker` that hides it wherever a run's text leaves it.

A value is **secret** when it is

1. the value of a configuration key naming a secret, whatever its case, ``_`` or ``-``:
   a key containing ``password``, ``passwd``, ``passphrase``, ``secret``, ``token``,
   ``apikey`` or ``privatekey``, or named ``authorization``, ``pass``, ``pin`` or ``key``
   (``password``, ``access_token``, ``api_key``, ``apiKey``, ``client_secret``,
   ``private_key``…); a key ending in ``url``/``uri`` names an address, not a secret
   (``tokenUrl``);
2. the value of a ``${ENV}`` reference in a credentials file or a step's configuration;
3. the value of a key a configuration marks secret: ``secret_keys: [pin_code, session]``
   beside the keys it names.

Everything else in a configuration (``baseUrl``, ``hostUrl``, ``domain``, ``appId``,
``username``) is not secret and stays readable in logs and errors.

A secret is hidden as ``****`` in each of its forms: as written, JSON-escaped,
percent-encoded (``%20``, ``+``, ``%2F``), base64-encoded, and, beside a
``username``/``user``/``email``/``login`` key, the base64 of ``user:password`` that a
Basic ``Authorization`` header carries. A secret shorter than 4 characters cannot be
hidden without mangling ordinary text: it is not masked, and the run warns about it
(:meth:`Masker.add_configuration` returns the keys holding one).

Where a run's text leaves it, it passes through the run's masker: every log line
(:class:`runtime.logger.LogSink`), step error records in ``state.errors``
(:meth:`Masker.scrub`), and the states written to the output file, the step cache, the
run store, a webhook's sync reply and the history API.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Iterable, Iterator
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "MIN_LENGTH", "Masker", "is_secret_key", "secret_forms"]

MASK = "****"
MIN_LENGTH = 4
MARKER_KEY = "secret_keys"
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey")
_SECRET_NAMES = {"authorization", "pass", "pin", "key"}
_ADDRESS_ENDINGS = ("url", "uri", "endpoint")
_USER_KEYS = ("username", "user", "email", "login")


def is_secret_key(key: Any) -> bool:
    """Whether a configuration key names a secret (rule 1 above).

    Example:
        >>> [is_secret_key(k) for k in ("apiKey", "ACCESS_TOKEN", "client-secret", "tokenUrl", "domain")]
        [True, True, True, False, False]
    """
    if not isinstance(key, str) or key == MARKER_KEY:
        return False
    name = re.sub(r"[\s_\-]", "", key.lower())
    if name.endswith(_ADDRESS_ENDINGS):
        return False
    return name in _SECRET_NAMES or any(word in name for word in _SECRET_WORDS)


def secret_forms(secret: str) -> set[str]:
    """The texts a secret may appear as: itself, JSON-escaped, percent-encoded, base64.

    Example:
        >>> sorted(secret_forms('a b/"c'))[:3]
        ['YSBiLyJj', 'a b/"c', 'a b/\\\\"c']
    """
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/"),
             _b64(secret)}
    return {form for form in forms if len(form) >= MIN_LENGTH}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Masker:
    """The secrets of one run and how to hide them: ``mask`` text, ``scrub`` a state.

    Example:
        >>> masker = Masker()
        >>> masker.add_configuration({"baseUrl": "https://crm.example", "username": "ann",
        ...                           "password": "pa ss/word"})
        []
        >>> masker.mask("GET https://crm.example/?p=pa%20ss%2Fword as ann")
        'GET https://crm.example/?p=**** as ann'
        >>> masker.scrub({"errors": {"a": {"message": "rejected pa ss/word"}}})
        {'errors': {'a': {'message': 'rejected ****'}}}
    """

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._in_json: re.Pattern[str] | None = None

    def add_secrets(self, values: Iterable[Any]) -> list[str]:
        """Learn ``values`` as secrets (with their derived forms); return the ones too short to mask."""
        short = []
        for value in values:
            if value is None or isinstance(value, bool):
                continue
            text = str(value)
            if len(text) < MIN_LENGTH:
                short.append(text)
                continue
            self._forms |= secret_forms(text)
        self._compile()
        return short

    def add_configuration(self, configuration: Any, extra: Iterable[Any] = ()) -> list[str]:
        """Learn the secrets of a configuration (and ``extra`` values, e.g. ``${ENV}`` values).

        Returns the keys whose secret is too short to mask (the caller warns).
        """
        short_keys = []
        for key, value, user in _secret_leaves(configuration):
            if self.add_secrets([value]):
                short_keys.append(str(key))
            if user is not None and value is not None and len(str(value)) >= MIN_LENGTH:
                self._forms.add(_b64(f"{user}:{value}"))
        if self.add_secrets(extra):
            short_keys.append("${ENV}")
        self._compile()
        return short_keys

    def _compile(self) -> None:
        if self._forms:
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered)))
            # a string holding a form holds it JSON-escaped in the value's JSON text (escaping is per character)
            escaped = {json.dumps(form, ensure_ascii=False)[1:-1] for form in ordered}
            self._in_json = re.compile("|".join(map(re.escape, sorted(escaped, key=len, reverse=True))))

    def mask(self, text: str) -> str:
        """``text`` with every form of every secret replaced by ``****``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON-like value with secrets masked in every string (keys included).

        A value holding no secret is returned as it is: its JSON text (one pass of the C encoder)
        is searched first, and only a value where a secret shows is walked and copied.
        """
        if self._pattern is None or not self._may_hold_secret(value):
            return value
        return self._scrub(value)

    def shows_in(self, json_text: str) -> bool:
        """Whether a secret may show in ``json_text``, JSON written by pyfn (``scrub`` the value if so).

        Strings are searched as JSON escapes them; a lone surrogate, which pyfn writes as ``\\udXXX``,
        is in no secret (``secret_forms`` needs text UTF-8 can encode).

        Example:
            >>> masker = Masker()
            >>> _ = masker.add_secrets(["s3cr/et"])
            >>> masker.shows_in('{"data": "s3cr/et"}'), masker.shows_in('{"data": "ok"}')
            (True, False)
        """
        return self._in_json is not None and self._in_json.search(json_text) is not None

    def _may_hold_secret(self, value: Any) -> bool:
        try:
            text = json.dumps(value, ensure_ascii=False, check_circular=False)
        except (TypeError, ValueError, RecursionError):
            return True
        return self._in_json is None or self._in_json.search(text) is not None

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask(k) if isinstance(k, str) else k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrub(item) for item in value]
        return value

    def render(self, value: Any) -> str:
        """A logged value as text: strings as they are, objects as 2-space JSON, secrets masked.

        A ``configuration`` in a logged object shows its secret keys as ``****`` and the
        rest (a base URL, a domain) as it is.
        """
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict) and "configuration" in value:
            value = {**value, "configuration": masked_configuration(value["configuration"])}
        try:
            text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
        return self.mask(text)


def masked_configuration(configuration: Any) -> Any:
    """A configuration with the value of every secret key shown as ``****``.

    Example:
        >>> masked_configuration({"hostUrl": "https://hq", "apiKey": "k-1234", "tls": {"ca": "x", "key": "y"}})
        {'hostUrl': 'https://hq', 'apiKey': '****', 'tls': {'ca': 'x', 'key': '****'}}
    """
    if isinstance(configuration, list):
        return [masked_configuration(item) for item in configuration]
    if not isinstance(configuration, dict):
        return configuration
    marked = _marked_keys(configuration)
    return {key: MASK if is_secret_key(key) or key in marked else masked_configuration(value)
            for key, value in configuration.items()}


def _marked_keys(mapping: dict) -> set:
    marked = mapping.get(MARKER_KEY)
    return set(marked) if isinstance(marked, list) else set()


def _secret_leaves(value: Any, secret: bool = False, user: Any = None) -> Iterator[tuple[Any, Any, Any]]:
    """``(key, value, username beside it)`` for every secret leaf of a configuration."""
    stack = [(None, value, secret, user)]
    while stack:
        key, item, secret, user = stack.pop()
        if isinstance(item, dict):
            marked = _marked_keys(item)
            here = next((item[k] for k in _USER_KEYS if isinstance(item.get(k), str)), None)
            stack.extend((k, v, secret or is_secret_key(k) or k in marked, here)
                         for k, v in item.items() if k != MARKER_KEY)
        elif isinstance(item, (list, tuple)):
            stack.extend((key, v, secret, user) for v in item)
        elif secret and item is not None and not isinstance(item, bool):
            yield key, item, user


def hide_configuration(state: Any) -> Any:
    """A stored state as shown (API, page, ``pyfn runs show``): a ``configuration`` in it is ``****``.

    States are stored without ``configuration``; should one hold one anyway, it is hidden whole.

    Example:
        >>> hide_configuration({"data": 1, "configuration": {"password": "x"}})
        {'data': 1, 'configuration': '****'}
    """
    if isinstance(state, dict) and "configuration" in state:
        return {**state, "configuration": MASK}
    return state
