# Failure path: tell the data manager which form did not reach the CRM, and why.
from adaptors.http import *  # for editors and type checkers; pyfn gives the job these names

post("/alerts", {
    "subject": "A CommCare registration did not reach the CRM",
    "form_id": state["data"].get("form_id"),
    "reasons": [f"{step}: {error['message']}" for step, error in state["errors"].items()],
})
