# Failure path of workflows/branching.yaml: turn the upstream error into an alert message.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

fn(lambda state: {
    **state,
    "alert": {
        "to": "data-manager@example.org",
        "subject": "Registrations were not sent to the CRM",
        "reasons": [f"{step}: {error['message']}" for step, error in state["errors"].items()],
    },
})
