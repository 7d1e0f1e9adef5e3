# Create each patient in the CRM the first time its CommCare case is seen, and update that record
# afterwards: the collection crm-ids keeps CommCare case_id -> CRM record id across runs, so a
# redelivered or edited registration never creates a duplicate. Create the collection once:
#   pyfn collections create crm-ids
from adaptors.http import *  # for editors and type checkers; pyfn gives the job these names

PATIENTS = "/services/data/v59.0/sobjects/Patient__c"

each("$.data.patients[*]", combine(
    fn(lambda state: {**state, "patient": state["data"]}),
    collections.get("crm-ids", state["patient"]["CommCare_Case_ID__c"]),  # the CRM id, or {} for a new case
    fn(lambda state: {**state, "crm_id": state["data"] if isinstance(state["data"], str) else None}),
    fn_if(state["crm_id"], patch(PATIENTS + "/" + state["crm_id"], state["patient"])),
    fn_if(not state["crm_id"], combine(
        post(PATIENTS, state["patient"]),
        fn(lambda state: {**state, "crm_id": state["data"]["id"]}),
        collections.set("crm-ids", state["patient"]["CommCare_Case_ID__c"], state["crm_id"]),
    )),
    fn(lambda state: {**state, "crm_ids": [*state.get("crm_ids", []), state["crm_id"]]}),
))
fn(lambda state: {
    **{key: value for key, value in state.items()
       if key not in ("crm_ids", "crm_id", "patient", "index", "references", "response")},
    "data": {"upserted": len(state.get("crm_ids", [])), "crm_ids": state.get("crm_ids", [])},
})
