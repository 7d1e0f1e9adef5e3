# Step 1 of workflows/visits.yaml: parse a CSV export of home visits.
parse_csv(state["data"]["csv"])
