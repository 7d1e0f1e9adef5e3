# Pull every case from CommCare HQ, oldest indexed_on first, one page at a time, and write each case's
# id, type, name and indexed_on to a JSON-lines file, the table commcare-export's bench query builds.
# Nothing but counts stays in state, so memory does not grow with the number of cases.
import json


def start(state):
    open(state["export_path"], "w").close()
    return state


def write_page(state):
    with open(state["export_path"], "a", encoding="utf-8") as out:
        out.writelines(json.dumps([case["id"], case["properties"].get("case_type"),
                                   case["properties"].get("case_name"), case["indexed_on"]]) + "\n"
                       for case in state["data"])
    return state


fn(start)
fetch_cases(each_page=write_page, limit=1000)  # the page size commcare-export is given too
