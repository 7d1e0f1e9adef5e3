# Step 3 of workflows/visits.yaml: group the rows by village as the warehouse batch.
group(state["data"], "village")
fn(lambda state: {**state, "data": {"batches": state["data"], "villages": len(state["data"])}})
