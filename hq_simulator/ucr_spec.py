"""UCR data source specs: the filters, expressions and indicators a data source maps documents with.

A data source (HQ's ``DataSourceConfiguration``, corehq/apps/userreports/models.py) names the documents
it reads (``referenced_doc_type``: ``CommCareCase`` or ``XFormInstance``), a ``configured_filter`` and
``configured_indicators``; each document that passes the filter is one row: ``doc_id``, ``inserted_at``
(when HQ's pillow wrote the row) and one column per indicator. The simulator reads this part of HQ's
spec language (corehq/apps/userreports/filters/, expressions/, indicators/):

- filters: ``boolean_expression`` (operators ``eq``, ``not_eq``, ``in``, ``lt``, ``lte``, ``gt``,
  ``gte``), ``property_match``, ``and``, ``or``, ``not``; an empty filter passes everything;
- expressions: ``property_name``, ``property_path``, ``constant``;
- indicators: ``expression`` (datatypes ``string``, ``integer``, ``small_integer``, ``decimal``,
  ``date``, ``datetime``) and ``boolean`` (1 or 0).

Anything else is refused when the data source is defined (:class:`SpecError`).

Example:
    >>> spec = {"type": "boolean_expression", "operator": "eq", "property_value": "patient",
    ...         "expression": {"type": "property_name", "property_name": "type"}}
    >>> passes(spec, {"type": "patient"}), passes({}, {"type": "x"})
    (True, True)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from . import dates

__all__ = ["SpecError", "check", "passes", "evaluate", "column_value", "DOC_TYPES"]

DOC_TYPES = ("CommCareCase", "XFormInstance")
_EPOCH = datetime(1970, 1, 1)
_OPERATORS = {"eq": lambda a, b: a == b, "not_eq": lambda a, b: a != b, "in": lambda a, b: a in b,
              "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b,
              "gte": lambda a, b: a >= b}
_DATATYPES = ("string", "integer", "small_integer", "decimal", "date", "datetime")


class SpecError(ValueError):
    """A data source spec the simulator cannot read (as HQ's ``BadSpecError``).

    Example:
        >>> str(SpecError("bad"))
        'bad'
    """


def evaluate(expression, doc: dict):
    """The value of an expression spec on a document (``None`` where a property is missing).

    Example:
        >>> evaluate({"type": "property_path", "property_path": ["form", "age"]}, {"form": {"age": "3"}})
        '3'
    """
    kind = expression.get("type")
    if kind == "constant":
        return expression.get("constant")
    if kind == "property_name":
        return doc.get(expression["property_name"]) if isinstance(doc, dict) else None
    value = doc
    for step in expression["property_path"]:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def passes(spec: dict, doc: dict) -> bool:
    """Whether a document passes a filter spec.

    Example:
        >>> passes({"type": "not", "filter": {"type": "property_match", "property_name": "closed",
        ...                                   "property_value": True}}, {"closed": False})
        True
    """
    kind = spec.get("type")
    if not spec:
        return True
    if kind == "and":
        return all(passes(part, doc) for part in spec["filters"])
    if kind == "or":
        return any(passes(part, doc) for part in spec["filters"])
    if kind == "not":
        return not passes(spec["filter"], doc)
    if kind == "property_match":
        return doc.get(spec["property_name"]) == spec.get("property_value")
    value = evaluate(spec["expression"], doc)
    try:
        return bool(_OPERATORS[spec["operator"]](value, spec.get("property_value")))
    except TypeError:  # None against a number, as SQL's NULL: no match
        return False


def _check_expression(expression, where: str) -> None:
    if not isinstance(expression, dict) or expression.get("type") not in ("constant", "property_name",
                                                                          "property_path"):
        raise SpecError(f"{where}: expression must be property_name, property_path or constant")
    if expression["type"] == "property_path" and not isinstance(expression.get("property_path"), list):
        raise SpecError(f"{where}: property_path must be a list")


def _check_filter(spec, where: str) -> None:
    if spec in (None, {}):
        return
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind in ("and", "or"):
        for number, part in enumerate(spec.get("filters") or []):
            _check_filter(part, f"{where}.filters[{number}]")
    elif kind == "not":
        _check_filter(spec.get("filter"), f"{where}.filter")
    elif kind == "property_match":
        if "property_name" not in spec:
            raise SpecError(f"{where}: property_match needs property_name")
    elif kind == "boolean_expression":
        if spec.get("operator") not in _OPERATORS:
            raise SpecError(f"{where}: operator must be one of {', '.join(_OPERATORS)}")
        _check_expression(spec.get("expression"), f"{where}.expression")
    else:
        raise SpecError(f"{where}: filter type must be boolean_expression, property_match, and, or or not")


def check(config: dict) -> None:
    """Refuse a data source the simulator cannot build rows for (raises :class:`SpecError`).

    Example:
        >>> check({"referenced_doc_type": "Location", "configured_indicators": []})
        Traceback (most recent call last):
        ...
        hq_simulator.ucr_spec.SpecError: referenced_doc_type must be CommCareCase or XFormInstance
    """
    if config.get("referenced_doc_type") not in DOC_TYPES:
        raise SpecError("referenced_doc_type must be CommCareCase or XFormInstance")
    _check_filter(config.get("configured_filter"), "configured_filter")
    seen = {"doc_id", "inserted_at"}
    for number, indicator in enumerate(config.get("configured_indicators") or []):
        where = f"configured_indicators[{number}]"
        column = indicator.get("column_id")
        if not column or column in seen:
            raise SpecError(f"{where}: column_id missing or repeated")
        seen.add(column)
        if indicator.get("type") == "boolean":
            _check_filter(indicator.get("filter"), f"{where}.filter")
        elif indicator.get("type") == "expression" and indicator.get("datatype") in _DATATYPES:
            _check_expression(indicator.get("expression"), f"{where}.expression")
        else:
            raise SpecError(f"{where}: type must be boolean, or expression with datatype "
                            f"{', '.join(_DATATYPES)}")


def _convert(value, datatype: str):
    if value is None or value == "":
        return None if datatype != "string" or value is None else ""
    try:
        if datatype in ("integer", "small_integer"):
            return int(Decimal(str(value)))
        if datatype == "decimal":
            return Decimal(str(value))
        if datatype == "date":
            return date.fromisoformat(str(value)[:10])
        if datatype == "datetime":
            return _EPOCH + timedelta(microseconds=dates.parse(str(value)))
    except (ValueError, InvalidOperation):
        return None
    return value if isinstance(value, str) else str(value)


def column_value(indicator: dict, doc: dict):
    """One indicator's value for a document, typed as the column stores it.

    Example:
        >>> column_value({"type": "expression", "datatype": "integer", "column_id": "n",
        ...               "expression": {"type": "property_name", "property_name": "n"}}, {"n": "12"})
        12
    """
    if indicator["type"] == "boolean":
        return 1 if passes(indicator.get("filter") or {}, doc) else 0
    return _convert(evaluate(indicator["expression"], doc), indicator["datatype"])
