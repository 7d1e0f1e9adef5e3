// The run history page of `pyfn serve`: reads the JSON API with the token kept in this tab.
// /runs lists work orders and their runs (filter by workflow and status); /runs/<id> shows one run;
// /collections and /collections/<name> are in collections.js.
"use strict";

const TOKEN_KEY = "pyfn-api-token";
const REFRESH_MS = 2000;
let timer = null;
let view = 0;  // each new view (or filter) counts up: an answer for an older one is dropped

function newView() { clearTimeout(timer); view += 1; return view; }

function $(id) { return document.getElementById(id); }

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function takeTokenFromUrl() {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search);
  }
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({}, options, {
    headers: Object.assign({"Authorization": "Bearer " + token(), "Content-Type": "application/json"},
                           (options || {}).headers),
  }));
  if (response.status === 401) { sessionStorage.removeItem(TOKEN_KEY); showLogin(); throw new Error("unauthorized"); }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
  return body;
}

function show(section) {
  for (const id of ["login", "list", "run", "collections", "collection"]) $(id).hidden = id !== section;
  $("logout").hidden = section === "login";
}

function showLogin() {
  newView();
  show("login");
}

function duration(ms) {
  if (ms === null || ms === undefined) return "-";
  if (ms < 1000) return Math.round(ms) + "ms";
  return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + "s";
}

function when(iso) { return iso ? iso.replace("T", " ").slice(0, 23) : "-"; }

function stateBadge(state, status) {
  const badge = el("span", status || state, {"class": "state state-" + state, "data-state": state});
  if (status && status !== state) badge.classList.add("step-failed");
  return badge;
}

function runLink(run) {
  const link = el("a", run.id.slice(0, 8), {href: "/runs/" + run.id, "data-run-id": run.id, title: run.id});
  return link;
}

function cells(row, values) {
  for (const value of values) {
    const td = el("td");
    if (value instanceof Node) td.appendChild(value); else td.textContent = value === null ? "-" : String(value);
    row.appendChild(td);
  }
  return row;
}

function triggerText(run) { return run.trigger_type + (run.trigger && run.trigger !== "manual" ? " " + run.trigger : ""); }

// -- the list -----------------------------------------------------------------------------------
async function renderList(current) {
  show("list");
  const params = new URLSearchParams(window.location.search);
  const query = new URLSearchParams({limit: "200"});
  for (const name of ["workflow", "state", "step_failed"]) if (params.get(name)) query.set(name, params.get(name));
  const body = await api("/api/runs?" + query);
  if (current !== view) return;
  fillWorkflows(body.workflows, params.get("workflow") || "");
  $("state").value = params.get("state") || "";
  $("step_failed").checked = params.get("step_failed") === "1";
  $("counts").textContent = Object.entries(body.counts).map(([s, n]) => n + " " + s)
    .concat([body.step_failed + " with a failed step"]).join(", ");
  const tbody = $("runs").querySelector("tbody");
  tbody.replaceChildren(...listRows(body.runs));
  $("empty").hidden = body.runs.length > 0;
  reloadBanner();
  timer = setTimeout(() => renderList(current).catch(report), REFRESH_MS);
}

function listRows(runs) {
  const orders = new Map();
  for (const run of runs) {
    if (!orders.has(run.work_order_id)) orders.set(run.work_order_id, []);
    orders.get(run.work_order_id).push(run);
  }
  const rows = [];
  for (const [id, group] of orders) {
    const latest = group[0];
    const head = cells(el("tr", null, {"class": "work-order", "data-work-order-id": id}),
                       [id.slice(0, 8), latest.workflow, triggerText(latest), group.length + " run(s)", "",
                        stateBadge(latest.state, latest.status), "", when(group[group.length - 1].inserted_at), ""]);
    rows.push(head);
    for (const run of group) {
      rows.push(cells(el("tr", null, {"class": "run", "data-run-id": run.id}),
                      ["", "", run.cause, runLink(run), run.attempt, stateBadge(run.state, run.status), run.error_type,
                       when(run.inserted_at), duration(run.duration_ms)]));
    }
  }
  return rows;
}

function fillWorkflows(names, selected) {
  const select = $("workflow");
  const options = [el("option", "all", {value: ""}), ...names.map((name) => el("option", name, {value: name}))];
  select.replaceChildren(...options);
  select.value = selected;
}

function applyFilters() {
  const query = new URLSearchParams();
  for (const name of ["workflow", "state"]) if ($(name).value) query.set(name, $(name).value);
  if ($("step_failed").checked) query.set("step_failed", "1");
  history.pushState(null, "", "/runs" + (query.toString() ? "?" + query : ""));
  renderList(newView()).catch(report);
}

// -- one run ------------------------------------------------------------------------------------
async function renderRun(id, current) {
  show("run");
  const body = await api("/api/runs/" + encodeURIComponent(id));
  if (current !== view) return;
  const run = body.run;
  $("run-id").textContent = run.id;
  $("run").setAttribute("data-run-id", run.id);
  $("run").setAttribute("data-state", run.state);
  const meta = [["Workflow", run.workflow], ["Status", stateBadge(run.state, run.status)], ["Error", run.error_type || "-"],
                ["Trigger", triggerText(run)], ["Work order", run.work_order_id],
                ["Attempt", run.attempt + " (" + run.cause + ")"], ["Starts at step", run.start_step || "the start"],
                ["Version", run.version || "-"],
                ["Inserted", when(run.inserted_at)], ["Started", when(run.started_at)],
                ["Finished", when(run.finished_at)], ["Duration", duration(run.duration_ms)]];
  if (body.wiped_at) meta.push(["Data wiped", when(body.wiped_at)]);
  $("run-meta").replaceChildren(...meta.flatMap(([name, value]) => {
    const dd = el("dd"); if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    return [el("dt", name), dd];
  }));
  // the run and its siblings are read one after the other: either may be the fresher one
  const busy = !run.final || body.work_order.runs.some((r) => !r.final);
  $("retry").disabled = busy || !!body.wiped_at;
  $("retry-note").textContent = busy ? "a run of this work order is waiting or running"
    : body.wiped_at ? "its input is no longer stored" : "runs the work order again with its original input";
  $("attempts").querySelector("tbody").replaceChildren(...body.work_order.runs.map((r) => cells(
    el("tr", null, {"data-run-id": r.id}),
    [runLink(r), r.attempt, r.cause, stateBadge(r.state, r.status), r.error_type, r.version, when(r.inserted_at),
     duration(r.duration_ms)])));
  $("step-summary").querySelector("tbody").replaceChildren(...body.steps.map(summaryRow));
  $("run-input").replaceChildren(jsonBlock(body.input, "run-input-json"));
  $("steps").replaceChildren(...body.steps.map((step) => stepBox(step, busy)));
  $("logs").textContent = body.logs.map((log) => log.at.slice(11, 23) + " " + log.line).join("\n") || "(none)";
  $("final-state").replaceChildren(jsonBlock(body.final_state, "final-state-json"));
  if (busy) timer = setTimeout(() => renderRun(id, current).catch(report), REFRESH_MS);
}

function json(value) { return value === null || value === undefined ? "(not stored)" : JSON.stringify(value, null, 2); }

// JSON of more than a few lines is folded behind an expander that says how long it is
const FOLD_LINES = 12;
function jsonBlock(value, cls) {
  const text = json(value);
  const lines = text.split("\n").length;
  const pre = el("pre", text, {"class": cls});
  if (lines <= FOLD_LINES) return pre;
  const fold = el("details", null, {"class": "fold"});
  fold.appendChild(el("summary", "show " + lines + " lines of JSON"));
  fold.appendChild(pre);
  return fold;
}

function stepStatus(step) { return step.error ? "failed" : step.finished_at ? "success" : "did not finish"; }

function errorText(step) { return step.error ? (step.error.name || "") + ": " + (step.error.message || "") : ""; }

function stepAnchor(step) { return "step-" + step.step.replace(/[^A-Za-z0-9_-]/g, "_"); }

function summaryRow(step) {
  const links = el("span");
  for (const part of ["input", "output"]) {
    const link = el("a", part, {href: "#" + stepAnchor(step) + "-" + part, "class": "state-link"});
    link.addEventListener("click", (event) => { event.preventDefault(); openState(stepAnchor(step) + "-" + part); });
    links.appendChild(link);
    links.appendChild(document.createTextNode(" "));
  }
  const row = cells(el("tr", null, {"data-step": step.step, "class": step.error ? "failed" : ""}),
                    [step.step, stepBadge(step), duration(step.duration_ms), errorText(step) || "-", links]);
  return row;
}

// a step's input or output: unfold it and bring it into view (the address keeps its #anchor, the page stays)
function openState(anchor) {
  const heading = $(anchor);
  const fold = heading.nextElementSibling;
  if (fold && fold.tagName === "DETAILS") fold.open = true;
  history.replaceState(null, "", window.location.pathname + window.location.search + "#" + anchor);
  heading.scrollIntoView();
}

function stepBadge(step) {
  const status = stepStatus(step);
  return el("span", status, {"class": "state state-" + (status === "success" ? "success" : "failed"),
                             "data-step-state": status});
}

function stepBox(step, busy) {
  const box = el("div", null, {"class": "step", "data-step": step.step, id: stepAnchor(step)});
  const verdict = step.error ? "failed: " + errorText(step) : step.finished_at ? "ok" : "did not finish";
  box.appendChild(el("h3", step.step + " — " + verdict + " (" + duration(step.duration_ms) + ")"));
  const retry = el("button", "Retry from this step", {type: "button", "data-from-step": step.step});
  retry.disabled = busy || step.input === null;
  retry.addEventListener("click", () => retryRun(step.step));
  box.appendChild(retry);
  box.appendChild(el("h4", "Input", {id: stepAnchor(step) + "-input"}));
  box.appendChild(jsonBlock(step.input, "step-input"));
  box.appendChild(el("h4", "Output", {id: stepAnchor(step) + "-output"}));
  box.appendChild(jsonBlock(step.output, "step-output"));
  return box;
}

async function retryRun(fromStep) {
  const id = $("run").getAttribute("data-run-id");
  $("message").textContent = "";
  try {
    const body = await api("/api/runs/" + encodeURIComponent(id) + "/retry",
                           {method: "POST", body: JSON.stringify(fromStep ? {from_step: fromStep} : {})});
    history.pushState(null, "", "/runs/" + body.run_id);
    route();
  } catch (error) {
    $("message").textContent = "Could not retry: " + error.message;
  }
}

// -- routing ------------------------------------------------------------------------------------
function report(error) {
  if (error.message !== "unauthorized") $("message").textContent = error.message;
  if (error.message !== "unauthorized" && !$("list").hidden) $("counts").textContent = "Error: " + error.message;
}

// -- a refused reload: the previous version still serves, the problems are shown on every page ------
async function reloadBanner() {
  const banner = $("reload-banner");
  let status = null;
  try { status = (await (await fetch("/health")).json()).reload; } catch (error) { return; }
  banner.hidden = !status || status.ok;
  if (banner.hidden) return;
  const list = el("ul");
  list.replaceChildren(...status.problems.map((problem) => el("li", problem)));
  banner.replaceChildren(el("strong", "The last change to the project was refused; the previous version is still "
                                      + "serving (" + status.problems.length + " problem(s)):"), list);
}

function route() {
  reloadBanner();
  const current = newView();
  if (!token()) return showLogin();
  const collections = collectionsRoute(current);  // collections.js
  if (collections) return collections.catch(report);
  const match = window.location.pathname.match(/^\/runs\/([^/]+)$/);
  (match ? renderRun(decodeURIComponent(match[1]), current) : renderList(current)).catch(report);
}

document.addEventListener("DOMContentLoaded", () => {
  takeTokenFromUrl();
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    route();
  });
  $("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); showLogin(); });
  $("workflow").addEventListener("change", applyFilters);
  $("state").addEventListener("change", applyFilters);
  $("step_failed").addEventListener("change", applyFilters);
  $("retry").addEventListener("click", () => retryRun(null));
  window.addEventListener("popstate", route);
  route();
});
