# Pull the patient cases changed since the last run. The cursor (state["cursor"]) is kept in the
# final state, which a cron trigger hands to the next run, so each change is seen exactly once.
from adaptors.commcare import *  # for editors and type checkers; pyfn gives the job these names

fetch_cases(since="2020-01-01", case_type="patient")
