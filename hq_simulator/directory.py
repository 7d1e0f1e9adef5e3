"""The project's people, places and apps: mobile workers, web users, locations, applications.

Served as Tastypie lists (``limit`` up to 1000):

- ``/api/v0.5/user/`` (mobile workers; ``POST`` creates one), ``/api/v0.5/web-user/``, ``/api/v0.5/group/``
- ``/api/v0.5/location/``, ``/api/v0.5/location_type/``, ``/api/location/v2/``
- ``/api/v0.5/application/`` (not paginated, as HQ's ``DoesNothingPaginator``): modules,
  forms with xmlns and questions — the "export form metadata" view of an app.

Example:
    >>> from .auth import Accounts
    >>> directory = Directory("demo", Accounts())
    >>> directory.add_mobile_worker("chw1", password="demo")["username"]
    'chw1@demo.commcarehq.org'
"""

from __future__ import annotations

import uuid

from . import dates
from .messages import HTTPError, Response
from .tastypie import list_response

__all__ = ["Directory", "register"]


class Directory:
    """Mobile workers, web users, groups, locations, location types and applications of one domain.

    Example:
        >>> from .auth import Accounts
        >>> Directory("demo", Accounts()).users
        {}
    """

    def __init__(self, domain: str, accounts) -> None:
        self.domain = domain
        self.accounts = accounts
        self.users: dict[str, dict] = {}
        self.web_users: dict[str, dict] = {}
        self.locations: dict[str, dict] = {}
        self.location_types: dict[str, dict] = {}
        self.apps: dict[str, dict] = {}
        self.groups: dict[str, dict] = {}

    def _uri(self, resource: str, object_id: str) -> str:
        return f"/a/{self.domain}/api/v0.5/{resource}/{object_id}/"

    def add_web_user(self, account: dict, first_name: str = "Demo", last_name: str = "User") -> dict:
        """List an account as a web user of the project.

        Example:
            >>> from .auth import Accounts
            >>> accounts = Accounts()
            >>> Directory("demo", accounts).add_web_user(accounts.add("me@example.com"))["username"]
            'me@example.com'
        """
        user = {"id": account["user_id"], "username": account["username"], "email": account["username"],
                "first_name": first_name, "last_name": last_name, "default_phone_number": None,
                "phone_numbers": [], "is_admin": True, "role": "Admin",
                "permissions": {"edit_data": True, "access_api": True, "view_reports": True},
                "resource_uri": self._uri("web-user", account["user_id"])}
        self.web_users[user["id"]] = user
        return user

    def add_mobile_worker(self, name: str, password: str | None = None, first_name: str = "",
                          last_name: str = "", location_id: str | None = None, user_id: str | None = None,
                          phone: str | None = None, user_data: dict | None = None) -> dict:
        """Add a mobile worker (``name@<domain>.commcarehq.org``) who can also authenticate.

        Example:
            >>> from .auth import Accounts
            >>> accounts = Accounts()
            >>> _ = Directory("demo", accounts).add_mobile_worker("chw7", password="pw")
            >>> accounts.get("chw7@demo.commcarehq.org")["domains"]
            {'demo'}
        """
        username = name if "@" in name else f"{name}@{self.domain}.commcarehq.org"
        account = self.accounts.add(username, password=password, domains=[self.domain],
                                    user_id=user_id or uuid.uuid4().hex)
        data = {"commcare_project": self.domain, **(user_data or {})}
        if location_id:
            data.update(commcare_location_id=location_id, commcare_location_ids=location_id,
                        commcare_primary_case_sharing_id=location_id)
        user = {"type": "user", "id": account["user_id"], "username": username, "first_name": first_name,
                "last_name": last_name, "email": "", "default_phone_number": phone,
                "phone_numbers": [phone] if phone else [], "groups": [],
                "locations": [location_id] if location_id else [], "primary_location": location_id,
                "user_data": data, "is_active": True, "resource_uri": self._uri("user", account["user_id"])}
        self.users[user["id"]] = user
        return user

    def add_group(self, name: str, user_ids: list[str], group_id: str | None = None, case_sharing: bool = False,
                  reporting: bool = True, metadata: dict | None = None) -> dict:
        """Add a group of mobile workers (listed in each member's ``groups``), as ``/api/v0.5/group/`` serves it.

        The fields are those of ``GroupResource`` (corehq/apps/api/resources/v0_5.py).

        Example:
            >>> from .auth import Accounts
            >>> directory = Directory("demo", Accounts())
            >>> worker = directory.add_mobile_worker("chw1")
            >>> group = directory.add_group("Kisumu CHWs", [worker["id"]], group_id="g1")
            >>> group["users"] == [worker["id"]], worker["groups"]
            (True, ['g1'])
        """
        group_id = group_id or uuid.uuid4().hex
        group = {"id": group_id, "domain": self.domain, "name": name, "users": list(user_ids),
                 "case_sharing": case_sharing, "reporting": reporting, "metadata": metadata or {},
                 "resource_uri": self._uri("group", group_id)}
        self.groups[group_id] = group
        for user_id in user_ids:
            self.users[user_id]["groups"].append(group_id)
        return group

    def add_location_type(self, code: str, name: str, parent_code: str | None = None) -> dict:
        """Add a location type (its ``resource_uri`` is what locations point at).

        Example:
            >>> from .auth import Accounts
            >>> Directory("demo", Accounts()).add_location_type("village", "Village")["resource_uri"]
            '/a/demo/api/v0.5/location_type/village/'
        """
        parent = self.location_types.get(parent_code) if parent_code else None
        kind = {"id": code, "code": code, "name": name, "domain": self.domain, "administrative": parent is None,
                "shares_cases": False, "view_descendants": False,
                "parent": parent["resource_uri"] if parent else None,
                "resource_uri": self._uri("location_type", code)}
        self.location_types[code] = kind
        return kind

    def add_location(self, name: str, type_code: str, parent_id: str | None = None, site_code: str = "",
                     location_id: str | None = None, latitude: str | None = None,
                     longitude: str | None = None, created: int | None = None) -> dict:
        """Add a location of an existing type under ``parent_id``.

        Example:
            >>> from .auth import Accounts
            >>> directory = Directory("demo", Accounts())
            >>> _ = directory.add_location_type("village", "Village")
            >>> directory.add_location("Kondele", "village", location_id="k1")["site_code"]
            'kondele'
        """
        location_id = location_id or uuid.uuid4().hex
        stamp = dates.iso(created if created is not None else dates.now())
        location = {"id": location_id, "location_id": location_id, "domain": self.domain, "name": name,
                    "site_code": site_code or name.lower().replace(" ", "_"),
                    "location_type": self.location_types[type_code]["resource_uri"],
                    "parent": self._uri("location", parent_id) if parent_id else None,
                    "latitude": latitude, "longitude": longitude, "location_data": {}, "external_id": None,
                    "created_at": stamp, "last_modified": stamp, "is_archived": False,
                    "resource_uri": self._uri("location", location_id)}
        self.locations[location_id] = location
        return location

    def location_v2(self, location: dict) -> dict:
        """A location in the shape of ``/api/location/v2/``.

        Example:
            >>> from .auth import Accounts
            >>> directory = Directory("demo", Accounts())
            >>> _ = directory.add_location_type("village", "Village")
            >>> directory.location_v2(directory.add_location("Yala", "village"))["location_type_code"]
            'village'
        """
        type_code = location["location_type"].rstrip("/").rsplit("/", 1)[-1]
        parent = location["parent"].rstrip("/").rsplit("/", 1)[-1] if location["parent"] else None
        return {"location_id": location["location_id"], "name": location["name"],
                "site_code": location["site_code"], "location_type_code": type_code,
                "location_type_name": self.location_types[type_code]["name"], "parent_location_id": parent,
                "latitude": location["latitude"], "longitude": location["longitude"],
                "location_data": location["location_data"], "last_modified": location["last_modified"]}

    def add_app(self, app: dict) -> dict:
        """Add an application definition (``id``, ``name``, ``modules[].forms[]``...).

        Example:
            >>> from .auth import Accounts
            >>> Directory("demo", Accounts()).add_app({"id": "a1", "modules": []})["id"]
            'a1'
        """
        self.apps[app["id"]] = app
        return app

    def build_id(self, app_id: str | None) -> str | None:
        """The id of the latest build of an app, if the app is known.

        Example:
            >>> from .auth import Accounts
            >>> from .seed import build_app
            >>> directory = Directory("demo", Accounts())
            >>> _ = directory.add_app(build_app("demo"))
            >>> directory.build_id("demo-app"), directory.build_id(None)
            ('demo-app-build-12', None)
        """
        app = self.apps.get(app_id or "")
        return app["versions"][-1]["id"] if app and app.get("versions") else None


class _Routes:
    """The directory handlers, bound to one simulator (collections are looked up per request)."""

    def __init__(self, sim) -> None:
        self.sim, self.directory = sim, sim.directory

    def lister(self, objects_of):
        """A list handler over ``objects_of(request)``."""
        def handler(request) -> Response:
            self.sim.check_domain(request)
            return list_response(request, objects_of(request))
        return handler

    def detail(self, collection: str):
        """A detail handler over the directory's ``collection`` dict, by ``id``."""
        def handler(request) -> Response:
            self.sim.check_domain(request)
            found = getattr(self.directory, collection).get(request.match["id"])
            return Response.json(found) if found else Response.empty(404)
        return handler

    def create_user(self, request) -> Response:
        self.sim.check_domain(request)
        try:
            body = request.json()
            user = self.directory.add_mobile_worker(
                body["username"], password=body.get("password"), first_name=body.get("first_name", ""),
                last_name=body.get("last_name", ""), location_id=body.get("location_id"),
                phone=(body.get("phone_numbers") or [None])[0], user_data=body.get("user_data"))
        except (ValueError, KeyError, TypeError):
            raise HTTPError(400, "Bad request: a JSON object with at least 'username' is required") from None
        return Response.json(user, 201)

    def users(self, request) -> list[dict]:
        archived = (request.param("archived") or "").lower() == "true"
        return [u for u in self.directory.users.values() if u["is_active"] != archived]

    def applications(self, request) -> Response:
        self.sim.check_domain(request)
        objects = list(self.directory.apps.values())
        meta = {"limit": len(objects), "next": None, "offset": 0, "previous": None, "total_count": len(objects)}
        return Response.json({"meta": meta, "objects": objects})


def register(app, sim) -> None:
    """Add the directory routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET', 'POST']
    """
    routes, directory, base = _Routes(sim), sim.directory, r"/a/(?P<domain>[^/]+)/api/"
    for resource, collection in (("user", "users"), ("web-user", "web_users"), ("location", "locations"),
                                 ("location_type", "location_types"), ("application", "apps"), ("group", "groups")):
        app.route("GET", base + rf"v0\.5/{resource}/(?P<id>[^/]+)/", routes.detail(collection))
    app.route("GET", base + r"v0\.5/user/", routes.lister(routes.users))
    app.route("POST", base + r"v0\.5/user/", routes.create_user)
    app.route("GET", base + r"v0\.5/group/", routes.lister(lambda r: list(directory.groups.values())))
    app.route("GET", base + r"v0\.5/web-user/", routes.lister(lambda r: list(directory.web_users.values())))
    app.route("GET", base + r"v0\.5/location/", routes.lister(lambda r: list(directory.locations.values())))
    app.route("GET", base + r"v0\.5/location_type/",
              routes.lister(lambda r: list(directory.location_types.values())))
    app.route("GET", base + r"location/v2/",
              routes.lister(lambda r: [directory.location_v2(loc) for loc in directory.locations.values()]))
    app.route("GET", base + r"v0\.5/application/", routes.applications)
