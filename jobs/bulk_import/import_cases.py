# Create or update one patient case per row through CommCare's bulk case import, matching rows to
# existing cases by external_id, and wait for HQ to finish the import.
from adaptors.commcare import *  # for editors and type checkers; pyfn gives the job these names

fn(lambda state: {**state, "rejected": state["data"]["rejected"]})
bulk("case-data", state["data"]["rows"], {
    "case_type": "patient",
    "search_field": "external_id",
    "search_column": "external_id",
    "name_column": "name",
    "create_new_cases": "on",
})
fn(lambda state: {
    **{key: value for key, value in state.items() if key not in ("rejected", "references", "response")},
    "data": {
        "created": state["data"].get("created"),
        "updated": state["data"].get("updated"),
        "row_errors": state["data"].get("errors") or [],
        "rejected_before_import": state["rejected"],
    },
})
log("Imported:", state["data"]["created"], "created,", state["data"]["updated"], "updated,",
    len(state["data"]["row_errors"]) + len(state["data"]["rejected_before_import"]), "rows with errors")
