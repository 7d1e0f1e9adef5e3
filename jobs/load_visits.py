# Step 3 of workflows/visits.yaml: group the rows by village as the warehouse batch.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

group(state["data"], "village")
fn(lambda state: {**state, "data": {"batches": state["data"], "villages": len(state["data"])}})
