# Map a registration form, as CommCare's data forwarding posts it (JSON), to CRM patient records.
# Map question ids (form.members[].sex), never labels; map choices through an explicit table;
# keep CommCare's case id and form id as the CRM's external ids.
from adaptors.commcare import *  # for editors and type checkers; pyfn gives the job these names

SEX = {"female": "Female", "male": "Male"}   # CommCare choice value -> CRM picklist value


def to_patient(form, member):
    first, _, last = member["name"].partition(" ")
    return {
        "CommCare_Case_ID__c": member["case"]["@case_id"],
        "CommCare_Form_ID__c": form["id"],
        "FirstName__c": first,
        "LastName__c": last or first,
        "Sex__c": SEX.get(member.get("sex"), "Unknown"),
        "Birthdate__c": member.get("dob"),
        "Phone__c": member.get("phone"),
        "Village__c": form["form"].get("village"),
        "Household_Case_ID__c": form["form"]["case"]["@case_id"],
    }


# A repeat group arrives as a list, or as a single object when it has one entry: repeat_entries
# gives a list either way.
fn(lambda state: {**state, "data": {
    "form_id": state["data"]["id"],
    "patients": [to_patient(state["data"], member) for member in repeat_entries(state["data"], "members")],
}})
log("Mapped", len(state["data"]["patients"]), "patients from form", state["data"]["form_id"])
