# Second step of workflows/registrations.yaml: refuse contacts without a case id.
assert_(lambda state: state["data"].get("CommCare_Case_ID__c"), "The form has no case id")
