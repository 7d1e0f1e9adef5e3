# A first job: map CommCare-style patient records into CRM contacts.
# Run it: pyfn execute jobs/hello.py -a common -s state/hello.json
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names

GENDERS = {"f": "Female", "m": "Male"}

each(
    "$.data.patients[*]",
    fn(lambda state: {
        **state,
        "contacts": [*state.get("contacts", []), {
            "LastName": human_proper(state["data"]["name"]),
            "Gender__c": GENDERS.get(state["data"]["sex"], "Unknown"),
            "CommCare_Case_ID__c": state["data"]["case_id"],
        }],
    }),
)
log("Mapped", state["index"] + 1, "patients")
# Hand on only the contacts: drop the working keys each() left behind.
fn(lambda state: {
    **{key: value for key, value in state.items() if key not in ("contacts", "index")},
    "data": {"contacts": state["contacts"], "count": len(state["contacts"])},
})
