# Send each reminder through the SMS gateway and record what was sent and what was refused.
# errors={400: False}: a refused number is recorded, not a reason to stop the other messages.
from adaptors.http import *  # for editors and type checkers; pyfn gives the job these names

each("$.data.reminders[*]", combine(
    fn(lambda state: {**state, "reminder": state["data"]}),
    post("/messages", {"to": state["data"]["to"], "body": state["data"]["body"]}, {"errors": {400: False}}),
    fn(lambda state: {**state, "outcomes": [*state.get("outcomes", []), {
        "case_id": state["reminder"]["case_id"],
        "to": state["reminder"]["to"],
        "status": "sent" if state["response"]["statusCode"] == 201 else "refused",
        "detail": state["data"].get("id") or state["data"].get("error"),
    }]}),
))
fn(lambda state: {
    **{key: value for key, value in state.items()
       if key not in ("outcomes", "reminder", "index", "references", "response")},
    "data": {
        "sent": [o for o in state.get("outcomes", []) if o["status"] == "sent"],
        "refused": [o for o in state.get("outcomes", []) if o["status"] == "refused"],
    },
})
log("Sent", len(state["data"]["sent"]), "reminders;", len(state["data"]["refused"]), "refused")
