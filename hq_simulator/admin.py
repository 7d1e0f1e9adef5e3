"""The simulator's own admin API under ``/admin/`` (not an HQ API), for tests, demos and the CLI.

Every route needs the credentials of a configured account (the demo user by
default), sent like any API call (``ApiKey``, Basic or Digest). Bodies and
answers are JSON.

==========================================================  ====================================================
``GET /admin/``                                             domain, counts, faults, forwarder count
``GET|POST /admin/connections``                             list / add connection settings (``url``, ``auth_type``
                                                            none|basic|bearer|api_key, ``username``, ``password``,
                                                            ``token``, ``api_key``, ``api_key_header``,
                                                            ``api_key_prefix``)
``GET|POST /admin/forwarders``                              list / add a forwarder: ``kind`` form|case, and either
                                                            ``connection_id`` or the connection fields inline;
                                                            ``format`` json|xml, ``xmlns_whitelist``,
                                                            ``user_blocklist``, ``include_app_id_param``,
                                                            ``case_types``, ``case_events``
``DELETE /admin/forwarders/<id>``                           remove; ``POST .../<id>/pause`` and ``.../resume``
``GET /admin/forwarding/records``                           records (``?state=FAIL``, ``?forwarder_id=``)
``GET /admin/forwarding/records/<id>``                      one record with its attempts
``POST /admin/forwarding/records/<id>/resend``              post it again now (a duplicate delivery)
``POST /admin/forwarding/records/<id>/requeue``             6 more tries, queued now
``GET|POST|DELETE /admin/faults``                           read / change (partial) / clear fault settings
``POST /admin/users``                                       add an API user (``username``, ``password``,
                                                            ``api_key``, ``domains``)
``POST /admin/forms/<id>/archive`` and ``.../unarchive``    archive or restore a form
``POST /admin/save``                                        write the state file (``{"path": ...}`` optional)
==========================================================  ====================================================

Example:
    >>> CONNECTION_FIELDS >= {"url", "auth_type"}
    True
"""

from __future__ import annotations

from .messages import HTTPError, Response

__all__ = ["register", "CONNECTION_FIELDS"]

CONNECTION_FIELDS = {"url", "name", "auth_type", "username", "password", "token", "api_key", "api_key_header",
                     "api_key_prefix"}


def _body(request) -> dict:
    return request.json_body(dict) if request.body else {}


class _Routes:
    """The admin handlers, bound to one simulator."""

    def __init__(self, sim) -> None:
        self.sim, self.engine = sim, sim.forwarding

    def add_forwarder(self, request) -> Response:
        body = _body(request)
        kind = body.pop("kind", None)
        connection = {k: body.pop(k) for k in list(body) if k in CONNECTION_FIELDS}
        connection_id = body.pop("connection_id", None)
        if connection_id is None:
            if "url" not in connection:
                raise ValueError("give a connection_id or a url")
            connection_id = self.engine.add_connection(**connection)["id"]
        return Response.json(self.engine.add_forwarder(kind, connection_id, **body), 201)

    def pause(self, paused: bool):
        """A handler pausing (or resuming) the forwarder in the path."""
        def handler(request) -> Response:
            forwarder = self.engine.forwarders[request.match["id"]]
            forwarder["paused"] = paused
            return Response.json(forwarder)
        return handler

    def delete_forwarder(self, request) -> Response:
        if not self.engine.remove_forwarder(request.match["id"]):
            raise KeyError(request.match["id"])
        return Response.empty(204)

    def archive(self, archived: bool):
        """A handler archiving (or restoring) the form in the path."""
        def handler(request) -> Response:
            rec = self.sim.archive_form(request.match["id"], archived)
            if rec is None:
                raise KeyError(request.match["id"])
            return Response.json({"id": rec["id"], "archived": rec["archived"]})
        return handler

    def add_user(self, request) -> Response:
        body = _body(request)
        account = self.sim.add_user(body["username"], password=body.get("password"), api_key=body.get("api_key"),
                                    domains=body.get("domains"))
        return Response.json({"username": account["username"], "user_id": account["user_id"],
                              "domains": sorted(account["domains"])}, 201)

    def records(self, request) -> Response:
        return Response.json({"records": self.engine.list_records(request.param("state"),
                                                                  request.param("forwarder_id"))})


def _admin_route(app, method: str, path: str, handler) -> None:
    def run(request):
        try:
            return handler(request)
        except (ValueError, TypeError) as error:
            raise HTTPError(400, str(error)) from None
        except KeyError as error:
            raise HTTPError(404, f"Not found: {error}") from None
    app.route(method, r"/admin/" + path, run, auth="account", style="json")


def register(app, sim) -> None:
    """Add the admin routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['DELETE', 'GET', 'POST']
    """
    routes, engine, faults = _Routes(sim), sim.forwarding, sim.faults
    record = r"forwarding/records/(?P<id>[^/]+)"
    for method, path, handler in [
        ("GET", r"", lambda r: Response.json(sim.summary())),
        ("GET", r"connections", lambda r: Response.json({"connections": list(engine.connections.values())})),
        ("POST", r"connections", lambda r: Response.json(engine.add_connection(**_body(r)), 201)),
        ("GET", r"forwarders", lambda r: Response.json({"forwarders": list(engine.forwarders.values())})),
        ("POST", r"forwarders", routes.add_forwarder),
        ("DELETE", r"forwarders/(?P<id>[^/]+)", routes.delete_forwarder),
        ("POST", r"forwarders/(?P<id>[^/]+)/pause", routes.pause(True)),
        ("POST", r"forwarders/(?P<id>[^/]+)/resume", routes.pause(False)),
        ("GET", r"forwarding/records", routes.records),
        ("GET", record, lambda r: Response.json(engine.record(r.match["id"]))),
        ("POST", record + "/resend", lambda r: Response.json(engine.resend(r.match["id"]))),
        ("POST", record + "/requeue", lambda r: Response.json(engine.requeue(r.match["id"]))),
        ("GET", r"faults", lambda r: Response.json(faults.settings())),
        ("POST", r"faults", lambda r: Response.json(faults.set(**_body(r)))),
        ("DELETE", r"faults", lambda r: Response.json(faults.clear())),
        ("POST", r"users", routes.add_user),
        ("POST", r"forms/(?P<id>[^/]+)/archive", routes.archive(True)),
        ("POST", r"forms/(?P<id>[^/]+)/unarchive", routes.archive(False)),
        ("POST", r"save", lambda r: Response.json({"saved": sim.save(_body(r).get("path"))})),
    ]:
        _admin_route(app, method, path, handler)
