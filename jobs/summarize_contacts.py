# Second step of workflows/linear.yaml: count the mapped contacts by gender.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

fn(lambda state: {
    **state,
    "data": {
        "total": len(state["data"]["contacts"]),
        "by_gender": {
            gender: sum(1 for c in state["data"]["contacts"] if c["Gender__c"] == gender)
            for gender in sorted({c["Gender__c"] for c in state["data"]["contacts"]})
        },
    },
})
