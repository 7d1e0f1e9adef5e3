"""CSV: ``parse_csv`` reads CSV text or a stream into rows, chunk by chunk."""

from __future__ import annotations

import logging
import math
import re
from typing import Any, Callable, Iterable, Iterator

from .references import compose_next_state, expand_references

__all__ = ["parse_csv"]

_DEFAULTS = {"delimiter": ",", "quote": '"', "escape": '"', "columns": True, "bom": True,
             "trim": True, "ltrim": True, "rtrim": True, "chunk_size": math.inf,
             "skip_empty_lines": True}
_ALIASES = {"chunkSize": "chunk_size"}
_LINE_END = re.compile(r"\r\n|\r|\n")
_TRIMMED = " \t\r\n\f"  # what csv-parse trims
_READ_SIZE = 1 << 16


class CSVError(ValueError):
    """A CSV record that cannot be read (e.g. the wrong number of fields)."""

    fix = "Check the CSV at the line shown: every row needs as many fields as the header."


def _options(raw: dict) -> dict:
    """OpenFn's defaults, overridden by the known keys only (others are dropped)."""
    unknown = sorted(str(key) for key in raw if key not in _DEFAULTS and key not in _ALIASES)
    if unknown:
        logging.getLogger("pyfn.adaptor.common").warning(
            "parse_csv ignored unknown options: %s", ", ".join(unknown))
    options = dict(_DEFAULTS)
    options.update({_ALIASES.get(key, key): value for key, value in raw.items()
                    if key in _DEFAULTS or key in _ALIASES})
    size = math.inf if options["chunk_size"] is None else options["chunk_size"]
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise TypeError(f"chunkSize must be a number, got {size!r}")
    if size < 1:
        raise ValueError("chunkSize must be at least 1")
    options["chunk_size"] = size
    # csv-parse: `trim` switches ltrim/rtrim on unless they are explicitly false.
    for side in ("ltrim", "rtrim"):
        options[side] = options[side] is True or (options["trim"] is True and options[side] is not False)
    return options


def _chunks(source: Any) -> Iterable:
    if hasattr(source, "read"):
        return iter(lambda: source.read(_READ_SIZE) or None, None)
    if isinstance(source, (str, bytes, bytearray)) or not hasattr(source, "__iter__"):
        raise TypeError(f"parse_csv needs CSV text, a file or an iterable of text, got {type(source).__name__}")
    return source


def _split_lines(chunks: Iterable) -> Iterator[str]:
    """Re-cut text (or UTF-8 bytes) chunks into lines that keep their line ends."""
    import codecs

    decoder, pending = codecs.getincrementaldecoder("utf-8")(), ""
    for chunk in chunks:
        pending += decoder.decode(chunk) if isinstance(chunk, (bytes, bytearray)) else chunk
        start = 0
        for end in _LINE_END.finditer(pending):
            if end.group() == "\r" and end.end() == len(pending):
                break  # may be the first half of "\r\n"
            yield pending[start:end.end()]
            start = end.end()
        pending = pending[start:]
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _lines(source: Any, bom: bool) -> Iterator[str]:
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode("utf-8")
    if isinstance(source, str):
        import io

        lines: Iterator[str] = iter(io.StringIO(source, newline=""))
    else:
        lines = _split_lines(_chunks(source))
    first = next(lines, None)
    if first is None:
        return
    yield first[1:] if bom and first.startswith("\ufeff") else first
    yield from lines


def _reader(lines: Iterator[str], options: dict) -> Any:
    import csv
    import sys

    delimiter, quote, escape = options["delimiter"], options["quote"], options["escape"]
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"parse_csv supports a one-character delimiter, got {delimiter!r}")
    if csv.field_size_limit() < sys.maxsize // 2:
        csv.field_size_limit(sys.maxsize // 2)  # csv-parse has no field size limit
    settings: dict = {"delimiter": delimiter, "skipinitialspace": options["ltrim"], "strict": False}
    if not quote:
        settings.update(quoting=csv.QUOTE_NONE, escapechar=escape if escape and escape != '"' else None)
    else:
        settings.update(quotechar=quote, doublequote=escape == quote,
                        escapechar=escape if escape and escape != quote else None)
    return csv.reader(lines, **settings)


def _stripper(options: dict) -> Callable[[str], str] | None:
    if options["ltrim"] and options["rtrim"]:
        return lambda text: text.strip(_TRIMMED)
    if options["ltrim"]:
        return lambda text: text.lstrip(_TRIMMED)
    if options["rtrim"]:
        return lambda text: text.rstrip(_TRIMMED)
    return None


def _length_error(expected: int, got: int, line: int, columns: bool) -> CSVError:
    detail = f"columns length is {expected}," if columns else f"expect {expected},"
    return CSVError(f"Invalid Record Length: {detail} got {got} on line {line}")


def _rows(reader: Any, options: dict) -> Iterator[Any]:
    """Yield each record as a dict keyed by the columns (or as a list with ``columns=False``)."""
    strip, columns = _stripper(options), options["columns"]
    header = None if columns is True else (list(columns) if columns else None)
    width = len(header) if header is not None else None
    for record in reader:
        if not record:
            if options["skip_empty_lines"]:
                continue
            record = [""]
        if strip:
            record = [strip(value) for value in record]
        if columns is True and header is None:
            header, width = record, len(record)
            continue
        if width is None:
            width = len(record)
        if len(record) != width:
            raise _length_error(width, len(record), reader.line_num, header is not None)
        if header is None:
            yield record
        else:
            yield {key: value for key, value in zip(header, record) if key is not None and key is not False}


def parse_csv(csv_data: Any, parsing_options: dict | None = None,
              callback: Callable[[dict, list], Any] | None = None, **options: Any) -> Callable[[dict], Any]:
    """Parse CSV into rows (dicts keyed by the header row), chunk by chunk.

    Rows are flushed in chunks of ``chunk_size`` (all rows in one chunk by
    default). With a ``callback``, each flush is ``state = callback(state, rows)``;
    without one it is ``compose_next_state(state, rows)``, so ``data`` ends as
    the **last chunk only** and each earlier chunk is pushed onto ``references``
    (OpenFn's behaviour: with ``chunk_size=1`` and 2 rows, ``data`` is ``[row2]``
    and ``references`` ends with ``[row1]``). No rows means no flush: the state
    is returned unchanged. Every value is a string.

    Options (OpenFn's keys; any other key is ignored, with a warning):

    - ``delimiter`` (``","``), ``quote`` (``'"'``; falsy turns quoting off),
      ``escape`` (``'"'``: quotes are escaped by doubling them);
    - ``columns``: ``True`` (first row is the header), a list of names
      (``None`` skips that field) or ``False`` (rows are lists);
    - ``bom`` (``True``): drop a leading byte order mark;
    - ``trim``, ``ltrim``, ``rtrim`` (all ``True``): strip whitespace around
      values. As in csv-parse, set ``ltrim``/``rtrim`` to ``False`` to keep it;
      ``trim=False`` alone does not;
    - ``chunk_size`` (also ``chunkSize``; unlimited): rows per flush, at least 1;
    - ``skip_empty_lines`` (``True``).

    Args:
        csv_data: CSV text or bytes, a file object (text or binary, read in
            blocks), or an iterable of text/bytes pieces (e.g. a streamed HTTP
            body); may be lazy.
        parsing_options: the options above as a dict; may be lazy.
        callback: optional ``callback(state, rows) -> state``, called per chunk.
        **options: the same options as keyword arguments.

    Returns:
        The operation.

    Raises:
        ValueError: ``chunkSize must be at least 1``; a record with the wrong
            number of fields (``Invalid Record Length: ...``).

    Example:
        parse_csv(
            lambda state: state["data"]["csv"],
            {"chunk_size": 100},
            lambda state, rows: {**state, "count": state.get("count", 0) + len(rows)},
        )

    Differences from OpenFn:
        The delimiter must be one character. When trimming is on, whitespace
        just inside quotes at the ends of a value is trimmed too. Unknown
        options are reported in a warning instead of dropped silently.
    """

    def run_parse(state: dict) -> Any:
        source, raw = expand_references(state, [csv_data, {**(parsing_options or {}), **options}])
        settings = _options(raw)
        flush = callback or compose_next_state
        result, buffer = state, []
        for row in _rows(_reader(_lines(source, settings["bom"]), settings), settings):
            buffer.append(row)
            if len(buffer) >= settings["chunk_size"]:
                result, buffer = flush(result, buffer), []
        return flush(result, buffer) if buffer else result

    return run_parse
