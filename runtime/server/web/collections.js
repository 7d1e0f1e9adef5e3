// The collections view of the run history page: /collections lists them, /collections/<name> pages through items.
// Uses app.js's helpers ($, el, api, cells, when, json, show, report, newView, view).
"use strict";

const ITEMS_PER_PAGE = 50;

async function renderCollections(current) {
  show("collections");
  const body = await api("/api/collections");
  if (current !== view) return;
  $("collections-table").querySelector("tbody").replaceChildren(...body.collections.map((c) => cells(
    el("tr", null, {"data-collection": c.name}),
    [el("a", c.name, {href: "/collections/" + encodeURIComponent(c.name)}), c.count, when(c.created_at)])));
  $("collections-empty").hidden = body.collections.length > 0;
}

async function renderCollection(name, current) {
  show("collection");
  const params = new URLSearchParams(window.location.search);
  const query = new URLSearchParams({limit: String(ITEMS_PER_PAGE), key: params.get("key") || "*"});
  if (params.get("cursor")) query.set("cursor", params.get("cursor"));
  $("collection-name").textContent = name;
  $("key-pattern").value = params.get("key") || "*";
  const body = await api("/api/collections/" + encodeURIComponent(name) + "?" + query);
  if (current !== view) return;
  $("items").querySelector("tbody").replaceChildren(...body.items.map((item) => cells(
    el("tr", null, {"data-key": item.key}),
    [item.key, el("pre", json(item.value), {"class": "item-value"}), when(item.updated_at)])));
  $("items-empty").hidden = body.items.length > 0;
  const next = $("next-page");
  next.hidden = !body.cursor;
  next.setAttribute("href", body.cursor ? pageUrl(name, params.get("key"), body.cursor) : "#");
}

function pageUrl(name, key, cursor) {
  const query = new URLSearchParams();
  if (key && key !== "*") query.set("key", key);
  if (cursor) query.set("cursor", cursor);
  return "/collections/" + encodeURIComponent(name) + (query.toString() ? "?" + query : "");
}

function filterItems(event) {
  event.preventDefault();
  history.pushState(null, "", pageUrl($("collection-name").textContent, $("key-pattern").value.trim(), null));
  route();
}

function collectionsRoute(current) {
  const one = window.location.pathname.match(/^\/collections\/([^/]+)$/);
  if (one) return renderCollection(decodeURIComponent(one[1]), current);
  if (window.location.pathname === "/collections") return renderCollections(current);
  return null;
}

document.addEventListener("DOMContentLoaded", () => {
  $("item-filter").addEventListener("submit", filterItems);
  $("next-page").addEventListener("click", (event) => {
    event.preventDefault();
    history.pushState(null, "", $("next-page").getAttribute("href"));
    route();
  });
});
