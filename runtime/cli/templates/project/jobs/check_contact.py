# Second step of workflows/registrations.yaml: refuse contacts without a case id.
from adaptors.common import *  # for editors and mypy (completion, documentation); pyfn gives the job these names

assert_(lambda state: state["data"].get("CommCare_Case_ID__c"), "The form has no case id")
