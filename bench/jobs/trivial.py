# Cold start: the smallest useful job (the same as trivial.js).
fn(lambda state: {**state, "data": {"greeting": "hello " + state["data"]["name"], "ok": True}})
