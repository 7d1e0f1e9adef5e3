# One GET per id, one after the other, on one keep-alive connection (the same as http_gets.js).
each("$.data.ids[*]", get("/items", {"query": {"id": state["data"]}}))
