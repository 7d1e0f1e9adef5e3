# Step 2 of workflows/visits.yaml: keep completed visits and shape them for the warehouse.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

fn(lambda state: {
    **state,
    "data": [
        {"visit_id": row["id"], "village": human_proper(row["village"]), "household_size": int(row["size"])}
        for row in state["data"] if row["status"] == "done"
    ],
})
