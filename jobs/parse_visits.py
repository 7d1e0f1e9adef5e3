# Step 1 of workflows/visits.yaml: parse a CSV export of home visits.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

parse_csv(state["data"]["csv"])
