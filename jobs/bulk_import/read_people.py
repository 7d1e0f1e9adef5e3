# Read a CSV export of people and keep the rows that can become CommCare cases.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

from pathlib import Path

SEX = {"f": "female", "female": "female", "m": "male", "male": "male"}

parse_csv(Path(state["data"]["file"]).read_text(encoding="utf-8"))


def row_problem(row):
    if not row.get("external_id"):
        return "no external_id"
    if not row.get("name"):
        return "no name"
    if row.get("sex", "").lower() not in SEX:
        return f"unknown sex {row.get('sex')!r}"
    return None


fn(lambda state: {**state, "data": {
    "rows": [{**row, "sex": SEX[row["sex"].lower()]} for row in state["data"] if not row_problem(row)],
    "rejected": [{"row": row, "problem": row_problem(row)} for row in state["data"] if row_problem(row)],
}})
