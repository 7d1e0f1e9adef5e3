"""Lookup tables (fixtures): the fixture API, table and item CRUD, and the Excel upload."""

from __future__ import annotations

import io

import openpyxl

API = "/a/demo/api/v0.5/"


def test_fixture_api_lists_items_by_type(api):
    page = api.get(API + "fixture/", params={"fixture_type": "village"}).json()
    assert page["meta"]["total_count"] == 12
    item = page["objects"][0]
    assert item["fixture_type"] == "village" and set(item["fields"]) == {"name", "district", "region"}
    assert api.get(f"{API}fixture/{item['id']}/").json() == item


def test_lookup_table_and_items(api):
    tables = api.get(API + "lookup_table/").json()["objects"]
    table = next(t for t in tables if t["tag"] == "medication")
    assert {f["field_name"] for f in table["fields"]} == {"name", "dose"}
    items = api.get(API + "lookup_table_item/", params={"data_type_id": table["id"]}).json()["objects"]
    assert items[0]["fields"]["name"]["field_list"][0]["field_value"] == "ORS"


def test_crud(fresh_api):
    table = fresh_api.post(API + "lookup_table/", json={"tag": "city", "fields": [{"field_name": "name"}]}).json()
    item = fresh_api.post(API + "lookup_table_item/", json={"data_type_id": table["id"], "fields": {
        "name": {"field_list": [{"field_value": "Kisumu", "properties": {}}]}}}).json()
    assert fresh_api.get(API + "fixture/", params={"fixture_type": "city"}).json()["objects"][0]["fields"] == {
        "name": "Kisumu"}
    assert fresh_api.delete(f"{API}lookup_table_item/{item['id']}/").status_code == 204
    assert fresh_api.get(f"{API}lookup_table_item/{item['id']}/").status_code == 404
    assert fresh_api.post(API + "lookup_table_item/", json={"data_type_id": "nope"}).status_code == 400


def test_excel_upload(fresh_api):
    book = openpyxl.Workbook()
    book.active.title = "types"
    book.active.append(("Delete(Y/N)", "table_id", "is_global?", "field 1", "field 2"))
    book.active.append(("N", "clinic", "yes", "name", "level"))
    sheet = book.create_sheet("clinic")
    sheet.append(("UID", "Delete(Y/N)", "field: name", "field: level"))
    sheet.append((None, "N", "Kondele Health Centre", 3))
    sheet.append((None, "N", "Bondo Dispensary", 2))
    data = io.BytesIO()
    book.save(data)
    response = fresh_api.post("/a/demo/fixtures/fixapi/", files={"file-to-upload": ("t.xlsx", data.getvalue())},
                              data={"replace": "true"})
    assert response.json()["code"] == 200
    items = fresh_api.get(API + "fixture/", params={"fixture_type": "clinic"}).json()["objects"]
    assert [i["fields"] for i in items] == [{"name": "Kondele Health Centre", "level": "3"},
                                            {"name": "Bondo Dispensary", "level": "2"}]
    bad = fresh_api.post("/a/demo/fixtures/fixapi/", files={"file-to-upload": ("t.xlsx", b"nope")})
    assert bad.json()["code"] == 405
