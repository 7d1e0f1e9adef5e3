# Map a CommCare registration form (as data forwarding sends it) to a CRM contact.
# Run it:  pyfn execute jobs/register_patient.py -s state/registration.json -O
from adaptors.common import *  # for editors and mypy (completion, documentation); pyfn gives the job these names

GENDERS = {"female": "Female", "male": "Male"}   # map choice values, never labels

fn(lambda state: {
    **state,
    "data": {
        "LastName": human_proper(state["data"]["form"]["patient_name"]),
        "Gender__c": GENDERS.get(state["data"]["form"]["sex"], "Unknown"),
        "CommCare_Case_ID__c": state["data"]["form"]["case"]["@case_id"],
        "CommCare_Form_ID__c": state["data"]["id"],
    },
})
log("Contact for case", state["data"]["CommCare_Case_ID__c"])
