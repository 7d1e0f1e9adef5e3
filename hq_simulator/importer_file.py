"""The bulk case import's upload checks and workbook reading, with HQ's messages.

HQ (corehq/apps/case_importer/views.py ``bulk_case_upload_api`` and ``_process_file_and_get_upload``,
corehq/apps/case_importer/util.py ``get_importer_error_message``, corehq/util/workbook_reading) answers
every refused upload ``500 {"code": 500, "message": ...}``, checking in this order:

- ``file`` or ``case_type`` missing: ``Error: Invalid POST request. Both 'file' and 'case_type' are required``;
- ``search_field`` neither ``case_id`` nor ``external_id``: ``Error: Illegal value for search_field: X``;
- a file name not ending in ``.csv``, ``.xls`` or ``.xlsx``: ``Please upload file with one of the
  following extensions: csv, xls, xlsx`` (the reader is chosen by the extension, not the content);
- a file its reader cannot open: ``The file uploaded has the following error: <the reader's message>``
  (an encrypted workbook: ``The file you want to import is password protected. ...``);
- a project with no case type in its apps and no case: ``Error: Your project does not use cases yet. ...``;
- a header that is not a case property name (a letter, then letters, digits, ``_`` or ``-``): the
  column-names message naming them;
- no row at all: ``Error: Your spreadsheet is empty. Please try again with a different spreadsheet.``

Example:
    >>> extension("Cases.XLSX"), extension("cases")
    ('xlsx', '')
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re

__all__ = ["UploadRefused", "extension", "read_rows", "check_columns", "VALID_EXTENSIONS"]

VALID_EXTENSIONS = ("csv", "xls", "xlsx")  # corehq/util/workbook_reading/adapters/generic.py
_ENCRYPTED = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound document where a zip was expected
_PROPERTY = re.compile(r"^[a-zA-Z][\w_-]*$")  # validate_property(..., allow_parents=False)
PASSWORD_PROTECTED = ("The file you want to import is password protected. "
                      "Please choose a file that is not password protected.")
NO_CASES = ("Error: Your project does not use cases yet. To import cases from Excel, "
            "you must first create an application with a case list.")
EMPTY = "Error: Your spreadsheet is empty. Please try again with a different spreadsheet."


class UploadRefused(Exception):
    """An upload HQ refuses: answered ``500 {"code": 500, "message": message}``.

    Example:
        >>> UploadRefused("Error: x").message
        'Error: x'
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def extension(filename: str | None) -> str:
    """The upload's extension as HQ reads it (``os.path.splitext``, lower case, no dot).

    Example:
        >>> extension("data.tar.csv")
        'csv'
    """
    return os.path.splitext(filename or "")[1][1:].strip().lower()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value).strip()


def _xlsx(data: bytes) -> list:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        if data.startswith(_ENCRYPTED):
            raise UploadRefused(PASSWORD_PROTECTED) from None
        raise UploadRefused(f"The file uploaded has the following error: {error}") from None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _xls(data: bytes) -> list:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except xlrd.XLRDError as error:
        if str(error) == "Workbook is encrypted":
            raise UploadRefused(PASSWORD_PROTECTED) from None
        raise UploadRefused(f"The file uploaded has the following error: {error}") from None
    sheet = book.sheet_by_index(0)

    def value(cell):
        if cell.ctype == xlrd.XL_CELL_DATE:
            return xlrd.xldate_as_datetime(cell.value, book.datemode)
        return None if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else cell.value
    return [[value(cell) for cell in sheet.row(number)] for number in range(sheet.nrows)]


def _csv(data: bytes) -> list:
    if len(data) <= 1:
        raise UploadRefused("The file uploaded has the following error: File is empty")
    try:
        return [[cell or None for cell in row] for row in csv.reader(io.StringIO(data.decode("utf-8")))]
    except (UnicodeDecodeError, csv.Error) as error:
        raise UploadRefused(f"The file uploaded has the following error: {error}") from None


def read_rows(filename: str | None, data: bytes) -> list[list]:
    """The first sheet's rows, read as the file's extension says (raises :class:`UploadRefused`).

    Example:
        >>> read_rows("cases.csv", b"name,village\\nZo\\xc3\\xab,Yala\\n")
        [['name', 'village'], ['Zoë', 'Yala']]
        >>> read_rows("cases.txt", b"x")
        Traceback (most recent call last):
        ...
        hq_simulator.importer_file.UploadRefused: Please upload file with one of the following extensions: csv, xls, xlsx
    """
    kind = extension(filename)
    if kind not in VALID_EXTENSIONS:
        raise UploadRefused(f"Please upload file with one of the following extensions: {', '.join(VALID_EXTENSIONS)}")
    return {"csv": _csv, "xls": _xls, "xlsx": _xlsx}[kind](data)


def check_columns(rows: list[list]) -> list[dict]:
    """The data rows as ``{column: text}`` once the header passes HQ's checks (raises :class:`UploadRefused`).

    Example:
        >>> check_columns([["name", "age"], ["Zoë", 3.0], [None, None]])
        [{'name': 'Zoë', 'age': '3'}]
    """
    header = [_cell(h) for h in rows[0]] if rows else []
    invalid = sorted({h for h in header if h and not _PROPERTY.match(h)})
    if invalid:  # ImporterRawError: its text as is
        raise UploadRefused(
            'Column names correspond to <a target="_blank" href="https://confluence.dimagi.com/display/'
            'commcarepublic/Case+Configuration">case property names</a>. They must start with a letter, and '
            f"can only contain letters, numbers and underscores. Please update the following: {', '.join(invalid)}.")
    if not rows:
        raise UploadRefused(EMPTY)
    return [{h: _cell(v) for h, v in zip(header, row) if h} for row in rows[1:] if any(v is not None for v in row)]
