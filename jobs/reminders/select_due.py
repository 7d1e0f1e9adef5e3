# Choose who gets a reminder: open patient cases with a phone number. New patients are asked to
# come for a first check-up; patients already seen are reminded of their next follow-up visit.
from adaptors.common import *  # for editors and type checkers; pyfn gives the job these names



def reminder(case):
    props = case.get("properties", {})
    if case.get("closed") or props.get("status") != "active" or not props.get("phone"):
        return None
    name = props.get("case_name", "").split(" ")[0] or "there"
    visits = int(props.get("visits") or 0)
    body = (f"Hello {name}, please come to the clinic for your first check-up." if not visits
            else f"Hello {name}, your follow-up visit {visits + 1} is due. See you at the clinic.")
    return {"case_id": case["case_id"], "to": props["phone"], "body": body}


fn(lambda state: {**state, "data": {
    "checked": len(state["data"]),
    "reminders": [r for r in (reminder(case) for case in state["data"]) if r],
}})
