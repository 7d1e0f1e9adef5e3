# each + fn over every record: tally visits per district and map the busiest records to contacts.
# The same as each_fn.js; records mutate the shared summary in place, as JavaScript jobs do.


def start(state):
    return {**state, "summary": {"count": 0, "visits": 0, "districts": {}}, "contacts": []}


def tally(state):
    record, summary = state["data"], state["summary"]
    summary["count"] += 1
    summary["visits"] += record["visits"]
    summary["districts"][record["district"]] = summary["districts"].get(record["district"], 0) + 1
    if record["visits"] > 8:
        state["contacts"].append({"externalId": record["id"], "name": record["name"].upper()})
    return state


def report(state):
    return {"data": {"summary": state["summary"], "contacts": state["contacts"]}, "lastIndex": state["index"]}


fn(start)
each("$.data.records[*]", fn(tally))
fn(report)
