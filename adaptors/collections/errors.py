"""What the collections adaptor raises. Every class carries ``code`` and ``fix`` (a hint for the job author).

```
CollectionError            base
  CollectionNotFound       the collection does not exist (collections are created explicitly)
  CollectionExists         create: the name is taken
  InvalidKey               not a string, empty, over 255 characters, or a '*' in a key to set
  InvalidQuery             an unknown query option, a bad date or limit
  ValueTooLarge            a value over 1 MiB of JSON
  CollectionsUnavailable   no store was plugged in for this run
```

Example:
    >>> CollectionNotFound("Collection 'crm-ids' not found").code
    'COLLECTION_NOT_FOUND'
"""

from __future__ import annotations

__all__ = ["CollectionError", "CollectionNotFound", "CollectionExists", "InvalidKey", "InvalidQuery",
           "ValueTooLarge", "CollectionsUnavailable"]


class CollectionError(Exception):
    """Base of the collections adaptor's errors: ``code`` names the kind, ``fix`` says what to do."""

    code = "COLLECTION_ERROR"
    default_fix: str | None = None

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix or self.default_fix
        self.details = {"code": self.code, "message": message}


class CollectionNotFound(CollectionError):
    """The named collection does not exist."""

    code = "COLLECTION_NOT_FOUND"
    default_fix = "Create it first: pyfn collections create NAME (collections are created explicitly, as in Lightning)"


class CollectionExists(CollectionError):
    """A collection of that name exists already."""

    code = "COLLECTION_EXISTS"


class InvalidKey(CollectionError):
    """A key or key pattern that cannot be used."""

    code = "INVALID_KEY"


class InvalidQuery(CollectionError):
    """A query with an unknown option or a bad value."""

    code = "INVALID_QUERY"


class ValueTooLarge(CollectionError):
    """A value over the size limit."""

    code = "VALUE_TOO_LARGE"


class CollectionsUnavailable(CollectionError):
    """No collection store was plugged in for this run."""

    code = "COLLECTIONS_UNAVAILABLE"
