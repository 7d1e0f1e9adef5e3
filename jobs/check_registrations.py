# First step of workflows/branching.yaml: check forwarded registrations against a schema.
# Invalid registrations make the step fail, so the workflow takes its failure path.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

SCHEMA = {
    "type": "object",
    "required": ["case_id", "name", "sex"],
    "properties": {"sex": {"enum": ["f", "m", "x"]}},
}

# each() leaves the last item in data (as OpenFn's does), so keep the registrations aside.
fn(lambda state: {**state, "registrations": state["data"]})
each("$.data.patients[*]", validate(SCHEMA, "data"))
assert_(
    lambda state: not state.get("validationErrors"),
    lambda state: "; ".join(
        f"{problem['data'].get('case_id', '?')}: {error['message']}"
        for problem in state.get("validationErrors", []) for error in problem["errors"]
    ),
)
fn(lambda state: {
    **{key: value for key, value in state.items() if key not in ("registrations", "index")},
    "data": state["registrations"],
})
