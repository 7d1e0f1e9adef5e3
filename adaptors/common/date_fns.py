"""The ``date_fns`` namespace: ``parse`` and ``format`` with date-fns format tokens.

OpenFn's common adaptor exports date-fns v3's ``parse`` and ``format`` as
``dateFns``. pyfn reads the same tokens (``yyyy-MM-dd HH:mm:ss``,
``dd MMM yyyy``, ``yyyy-MM-dd'T'HH:mm:ssXXX``...) with English month and day
names, the default date-fns locale. Text in single quotes is copied as it is
and ``''`` is a single quote.

Supported tokens: ``G y yy yyyy Q M L d D(DD+) E i I a h H K k m s S X x O z t T
P p`` and the ordinals ``do Mo yo Qo Do Io io ho Ho Ko ko mo``. ``parse`` reads
``y M L d DDD E a h H m s S X x``.

Example:
    fn(lambda state: {**state, "day": date_fns.format(date_fns.parse(state["data"]["date"], "dd/MM/yyyy"), "yyyy-MM-dd")})
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

__all__ = ["format", "parse"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LONG = {"P": "MM/dd/yyyy", "PP": "MMM d, y", "PPP": "MMMM do, y", "PPPP": "EEEE, MMMM do, y",
         "p": "h:mm a", "pp": "h:mm:ss a", "ppp": "h:mm:ss a z", "pppp": "h:mm:ss a zzzz"}
_UNITS = ("year", "month", "day", "hour", "minute", "second", "microsecond")
_FIRST = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0}


@cache
def _token_pattern() -> re.Pattern:
    return re.compile(r"P+p+|[yQMLIdDihHKkm]o|([A-Za-z])\1*|''|'(?:''|[^'])*(?:'|$)|.", re.S)


def _pieces(fmt: str):
    """Split a date-fns format into ``(is_token, text)`` pieces."""
    for match in _token_pattern().finditer(fmt):
        text = match.group(0)
        if text == "''":
            yield False, "'"
        elif text.startswith("'"):
            inner = text[1:-1] if len(text) > 1 and text.endswith("'") else text[1:]
            yield False, inner.replace("''", "'")
        else:
            yield text[0].isascii() and text[0].isalpha(), text


def _unsupported(token: str, fmt: str, verb: str) -> ValueError:
    if token[0] in "YD" and len(token) <= 2 or token[0] == "Y":
        hint = "yyyy" if token[0] == "Y" else "d" * len(token)
        return ValueError(f"Use `{hint}` instead of `{token}` (in `{fmt}`): `{token[0]}` is the "
                          f"{'week-numbering year' if token[0] == 'Y' else 'day of the year'} in date-fns")
    return ValueError(f"date_fns.{verb} does not support the token `{token}` (in `{fmt}`); "
                      "quote literal text with single quotes, e.g. \"yyyy-MM-dd'T'HH:mm\"")


def _ordinal(number: int) -> str:
    if 10 < number % 100 < 14:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _offset(moment: datetime, style: str) -> str:
    """A UTC offset as ``+05`` (short/optional minutes), ``+0530`` (basic), ``+05:30`` (extended) or ``+5:30`` (gmt)."""
    aware = moment if moment.tzinfo else moment.astimezone()
    minutes = int(aware.utcoffset().total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if style == "gmt":
        return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")
    if style == "short":
        return f"{sign}{hours:02d}" + (f"{rest:02d}" if rest else "")
    return f"{sign}{hours:02d}{':' if style == 'extended' else ''}{rest:02d}"


def _zone(moment: datetime, letter: str, size: int) -> str:
    if letter in "Xx":
        if letter == "X" and _offset(moment, "basic") == "+0000":
            return "Z"
        return _offset(moment, {1: "short", 2: "basic", 4: "basic"}.get(size, "extended"))
    return "GMT" + (_offset(moment, "extended") if size == 4 else _offset(moment, "gmt"))


def _numbers(moment: datetime) -> dict:
    return {"y": moment.year, "Q": (moment.month - 1) // 3 + 1, "M": moment.month, "L": moment.month,
            "d": moment.day, "D": moment.timetuple().tm_yday, "i": moment.isoweekday(),
            "I": moment.isocalendar()[1], "H": moment.hour, "h": moment.hour % 12 or 12,
            "K": moment.hour % 12, "k": moment.hour or 24, "m": moment.minute, "s": moment.second}


def _text_token(moment: datetime, letter: str, size: int) -> str | None:
    """Tokens written as words: months, weekdays, day periods, eras, quarters."""
    if letter in "ML" and size >= 3:
        name = _MONTHS[moment.month - 1]
        return {3: name[:3], 4: name}.get(size, name[0])
    if letter == "E" or letter == "i" and size >= 3:
        name = _DAYS[moment.weekday()]
        return {4: name, 5: name[0], 6: name[:2]}.get(size, name[:3])
    if letter == "a":
        morning = moment.hour < 12
        return {3: "am" if morning else "pm", 4: "a.m." if morning else "p.m.",
                5: "a" if morning else "p"}.get(size, "AM" if morning else "PM")
    if letter == "G":
        return {4: "Anno Domini", 5: "A"}.get(size, "AD")
    if letter == "Q" and size >= 3:
        quarter = (moment.month - 1) // 3 + 1
        return f"Q{quarter}" if size == 3 else f"{_ordinal(quarter)} quarter"
    return None


def _format_token(moment: datetime, token: str, fmt: str) -> str:
    letter, size = token[0], len(token)
    if size == 2 and token[1] == "o" and letter != "o":
        return _ordinal(_numbers(moment)[letter])
    if token in _LONG or letter == "P":
        return "".join(format(moment, _LONG.get(part, part)) if part in _LONG else part
                       for part in re.findall(r"P+|p+|.", token.replace("Pp", "P, p")))
    text = _text_token(moment, letter, size)
    if text is not None:
        return text
    if letter in "XxOz":
        return _zone(moment, letter, size if letter in "Xx" else (4 if size == 4 else 1))
    if letter == "y" and size == 2:
        return f"{moment.year % 100:02d}"
    if letter == "S":
        return f"{moment.microsecond:06d}"[:size].ljust(size, "0")
    if letter in "tT":
        stamp = (moment if moment.tzinfo else moment.astimezone()).timestamp()
        return str(int(stamp if letter == "t" else stamp * 1000))
    if letter in _numbers(moment) and not (letter in "YD" and size <= 2):
        return str(_numbers(moment)[letter]).zfill(size)
    raise _unsupported(token, fmt, "format")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000)
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    raise TypeError(f"date_fns.format needs a datetime, date, ISO string or millisecond timestamp, got {value!r}")


def format(value: Any, fmt: str) -> str:  # noqa: A001 - date-fns' name
    """Write a date as text with date-fns format tokens.

    Args:
        value: a ``datetime``, ``date``, ISO 8601 string or a timestamp in
            milliseconds (read in local time).
        fmt: the date-fns format, e.g. ``"yyyy-MM-dd HH:mm:ss"`` or ``"do MMMM yyyy"``.

    Returns:
        The formatted text.

    Raises:
        ValueError: the format uses a token pyfn does not support, or ``YYYY``/``DD``
            (date-fns also refuses those: use ``yyyy``/``dd``).

    Example:
        fn(lambda state: {**state, "stamp": date_fns.format(datetime.now(), "yyyy-MM-dd'T'HH:mm:ssXXX")})

    Differences from OpenFn:
        date-fns always writes a date in the machine's time zone; pyfn writes an
        aware ``datetime`` in its own zone (a naive one is local time). ISO
        strings are accepted as input. Fractions (``SSSSSS``) can show
        microseconds.
    """
    moment = _as_datetime(value)
    return "".join(_format_token(moment, text, fmt) if is_token else text
                   for is_token, text in _pieces(fmt))


def _directive(token: str, fmt: str) -> tuple[str, tuple]:
    """The strptime directive for a date-fns token, and the units it sets."""
    letter, size = token[0], len(token)
    table = {"y": ("%y" if size == 2 else "%Y", ("year",)), "d": ("%d", ("day",)),
             "H": ("%H", ("hour",)), "h": ("%I", ("hour",)), "m": ("%M", ("minute",)),
             "s": ("%S", ("second",)), "S": ("%f", ("microsecond",)), "a": ("%p", ("hour",)),
             "E": ("%A" if size == 4 else "%a", ()), "X": ("%z", ()), "x": ("%z", ())}
    if letter in "ML":
        return {3: "%b", 4: "%B"}.get(size, "%m"), ("month",)
    if letter == "D" and size == 3:
        return "%j", ("month", "day")
    if letter in table and not (letter == "E" and size > 4) and not (letter == "a" and size > 3):
        return table[letter]
    raise _unsupported(token, fmt, "parse")


def parse(text: str, fmt: str, reference_date: datetime | None = None) -> datetime:
    """Read a date from text with date-fns format tokens.

    As in date-fns, parts the format does not give come from ``reference_date``
    (now, when not given), and the parts smaller than the smallest one given
    are reset: ``parse("2024", "yyyy")`` is 1 January 2024 at 00:00, and
    ``parse("14:30", "HH:mm")`` is 14:30 today.

    Args:
        text: the text to read.
        fmt: the date-fns format, e.g. ``"yyyy-MM-dd HH:mm:ss"`` or ``"dd/MM/yyyy"``.
        reference_date: where missing parts come from; defaults to now (local time).

    Returns:
        A ``datetime``: naive (local time) unless the format has a zone token
        (``X``, ``XXX``, ``xx``...), then aware.

    Raises:
        ValueError: the text does not match the format.

    Example:
        fn(lambda state: {**state, "born": date_fns.parse(state["data"]["dob"], "dd/MM/yyyy").date().isoformat()})

    Differences from OpenFn:
        date-fns returns an ``Invalid Date`` when the text does not match; pyfn
        raises ``ValueError`` saying which text and format disagreed.
    """
    directives, units = [], set()
    for is_token, piece in _pieces(fmt):
        if is_token:
            directive, sets = _directive(piece, fmt)
            directives.append(directive)
            units.update(sets)
        else:
            directives.append(piece.replace("%", "%%"))
    try:
        parsed = datetime.strptime(text, "".join(directives))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{text!r} does not match the date format {fmt!r} ({error})") from None
    reference = reference_date or datetime.now()
    values = {unit: getattr(reference, unit) for unit in _UNITS}
    for position, unit in enumerate(_UNITS):
        if unit in units:
            values[unit] = getattr(parsed, unit)
            values.update({smaller: _FIRST[smaller] for smaller in _UNITS[position + 1:] if smaller not in units})
    return datetime(**values, tzinfo=parsed.tzinfo or reference.tzinfo)
