# Upsert each patient into the CRM by its CommCare case id (Salesforce's upsert by external id),
# so a redelivered form updates the same records instead of creating duplicates.
from adaptors.http import *  # for editors and type checkers; pyfn gives the job these names

PATIENTS = "/services/data/v59.0/sobjects/Patient__c/CommCare_Case_ID__c/"

each("$.data.patients[*]", combine(
    patch(PATIENTS + state["data"]["CommCare_Case_ID__c"],
          {key: value for key, value in state["data"].items() if key != "CommCare_Case_ID__c"}),
    fn(lambda state: {**state, "crm_ids": [*state.get("crm_ids", []), state["data"]["id"]]}),
))
fn(lambda state: {
    **{key: value for key, value in state.items() if key not in ("crm_ids", "index", "references", "response")},
    "data": {"upserted": len(state.get("crm_ids", [])), "crm_ids": state.get("crm_ids", [])},
})
