"""Every route of the real app, classified, and a request for each filled with town A's ids.

A route is either in :data:`PUBLIC` (reachable without a staff sign-in, each with its reason) or
a staff route; there is no third kind. A new route is a staff route until someone lists it here,
so it is attacked by the matrix from the day it is added."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import clock

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
NON_OBJECT_PARAMS = {"slug", "fmt", "file_path", "path"}

# (pattern over "METHOD path", reason). Paths are Litestar's templates, e.g. /track/{token:str}.
PUBLIC: list[tuple[str, str]] = [
    (r"GET /", "redirects to the admin"),
    (r"GET /(healthz|health|health/ready)", "health checks, no data"),
    (r"GET /schema(/.*)?", "the OpenAPI description, no data"),
    (r"(GET|HEAD) /static/\{file_path:path\}", "the admin's stylesheets and scripts"),
    (r"(GET|HEAD) /parties/static/\{file_path:path\}", "the party pages' stylesheets"),
    (r"(GET|HEAD) /static/plugins/.*", "plugins' stylesheets and scripts"),
    (r"(GET|POST) /admin/login", "the sign-in form"),
    (r"POST /api/v1/auth/login", "sign-in"),
    (r"GET /api/v1/public/(dispute-types|mediators)", "the public directory of types and mediators"),
    (r"POST /api/v1/public/applications", "public intake"),
    (r"(GET|POST) /api/v1/public/verify(/\{code:str\})?", "document verification by code or file"),
    (r"(GET|POST) /verify(/\{code:str\})?", "document verification pages"),
    (r"(GET|POST) /apply(/code)?", "the public application page"),
    (r"GET /api/v1/party/(centres|dispute-types|centres/\{centre_id:int\}/(mediators|places))", "the party app's directory"),
    (r"POST /api/v1/party/(codes|applications|tracking/code|tracking/session)", "party sign-up and sign-in by one-time code"),
    (r"(GET|POST|DELETE) /api/v1/party/(case|case/.*|session)", "the party's own case, by party session (tested with a town-B party)"),
    (r"(GET|POST) /track/\{token:str\}(/.*)?", "the party's tracking page: the token is the capability"),
    (r"(GET|POST) /sign/(\{token:str\}|pad\.js)", "the signing pad: the signed link is the capability"),
    (r"GET /api/v1/notifications/ics/\{token:str\}", "a session's calendar: the signed link is the capability"),
    (r"GET /open311/v2/(discovery|services)\.json", "Open311 discovery and service list (public by the standard)"),
]
# Public routes that still answer for a town-B party session (their data is the party's own).
PARTY_SESSION = re.compile(r"^(GET|POST|DELETE) /api/v1/party/(case|session)")
# Capability routes: the token in the path (town A's, made for the test) is the authority.
CAPABILITY = re.compile(r"^(GET|POST) (/track/|/sign/\{|/api/v1/notifications/ics/)")


def classify(method: str, path: str) -> str | None:
    """The reason a route is public, or None for a staff route."""
    key = f"{method} {path}"
    for pattern, reason in PUBLIC:
        if re.fullmatch(pattern, key):
            return reason
    return None


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # Litestar template
    handler: str
    plugin: str | None
    in_schema: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+):\w+\}", self.path)

    @property
    def object_params(self) -> list[str]:
        """Path parameters that name a stored object (a report kind or a file name does not)."""
        return [p for p in self.params if p not in NON_OBJECT_PARAMS]

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/admin")


def plugin_of(path: str) -> str | None:
    found = re.match(r"^/(?:api/v1|admin)/plugins/(psych|legal_aid|industry_assoc|judicial_confirm)(/|$)", path)
    return found.group(1) if found else None


def all_routes(app: Any) -> list[Route]:
    """(method, path) for every HTTP handler the app serves, OPTIONS (Litestar's own CORS
    answer) aside."""
    schema_paths = set(app.openapi_schema.to_schema()["paths"])
    found: dict[str, Route] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", ())):
                if method == "OPTIONS":
                    continue
                plain = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                r = Route(method, route.path, handler.handler_name, plugin_of(route.path), plain in schema_paths)
                found[r.key] = r
    return sorted(found.values(), key=lambda r: r.key)


# -- filling a request with town A's ids --------------------------------------------------------

PLUGIN_CASE = {"psych": "psych_case", "legal_aid": "aid_case", "industry_assoc": "assoc_case", "judicial_confirm": "jc_case"}


def path_values(route: Route, ids: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in route.params:
        if name == "case_id":
            values[name] = ids[PLUGIN_CASE[route.plugin]] if route.plugin else ids["case_id"]
        elif name == "token":
            values[name] = ids["sign_token"] if route.path.startswith("/sign/") else ids["ics_token"] if "/ics/" in route.path else ids["tracking_token"]
        elif name == "code":
            values[name] = ids["type_code"] if "/types/" in route.path else "NOPE-NOPE-NOPE"
        elif name == "name":
            values[name] = ids["open311_name"]
        elif name == "event":
            values[name] = "note"
        elif name == "step":
            values[name] = "accept"
        elif name == "slug":
            values[name] = "monthly"
        elif name == "fmt":
            values[name] = "csv"
        elif name == "path":
            values[name] = "nothing-here"
        elif name == "file_path":
            values[name] = "admin.css"
        elif name == "action":
            values[name] = "withdraw"
        elif name == "org_id":
            values[name] = ids["organisation_id"] if "/seal" not in route.path else ids["org_id"]
        elif name == "user_id":
            values[name] = ids["user_id"]
        else:
            values[name] = ids[name]
    return values


def url_for(route: Route, ids: dict[str, Any]) -> str:
    values = path_values(route, ids)
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(values[m.group(1)]), route.path)


class Synth:
    """A request body and query from the OpenAPI schema, valid enough to pass validation, with
    every id-looking field set to town A's object (so a missing check shows as a success)."""

    def __init__(self, schema: dict[str, Any], ids: dict[str, Any]) -> None:
        self.schema, self.ids = schema, ids

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def value(self, name: str, node: dict[str, Any], depth: int = 0) -> Any:
        node = self._resolve(node)
        for key in ("oneOf", "anyOf"):
            if key in node:
                options = [o for o in node[key] if self._resolve(o).get("type") != "null"] or node[key]
                return self.value(name, options[0], depth)
        if "enum" in node:
            return node["enum"][0]
        if "const" in node:
            return node["const"]
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if name in self.ids and kind in ("integer", None):
            return self.ids[name]
        if name.endswith("_ids") and kind == "array":
            single = name[:-1]
            return [self.ids.get(single, self.ids["case_id"])]
        if kind == "integer":
            return self.ids["organisation_id"] if name.endswith("_id") else max(1, int(node.get("minimum", 1)))
        if kind == "number":
            return max(1, node.get("minimum", 1))
        if kind == "boolean":
            return True
        if kind == "array":
            if depth > 3:
                return []
            return [self.value(name, node.get("items", {}), depth + 1)] * max(1, int(node.get("minItems", 1)))
        if kind == "object" or "properties" in node:
            return self.obj(node, depth + 1)
        fmt = node.get("format")
        if fmt == "date":
            return clock.today().isoformat()
        if fmt == "date-time":
            return (datetime.now(UTC) + timedelta(days=1)).isoformat()
        if fmt == "binary":
            return b"x"
        text = {"phone": "13800000000", "url": "https://example.invalid/hook", "image": "data:image/png;base64,iVBORw0KGgo="}.get(name, "测试")
        return text * max(1, int(node.get("minLength", 1)) // len(text) + 1) if node.get("minLength", 0) > len(text) else text

    def obj(self, node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        node = self._resolve(node)
        required = set(node.get("required", []))
        out = {}
        for name, prop in (node.get("properties") or {}).items():
            if name in required or name in self.ids or name.endswith("_id") or name.endswith("_ids"):
                out[name] = self.value(name, prop, depth)
        return out

    def operation(self, route: Route) -> dict[str, Any] | None:
        plain = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        return (self.schema["paths"].get(plain) or {}).get(route.method.lower())

    def request(self, route: Route) -> dict[str, Any]:
        """httpx keyword arguments: params, and json / data / files."""
        op = self.operation(route)
        kw: dict[str, Any] = {}
        if op is None:
            if route.method in UNSAFE:
                # An admin form: the ids a handler may read, nothing else.
                kw["data"] = {k: str(self.ids[k]) for k in ("party_id", "mediator_id", "organisation_id", "agreement_id", "session_id", "centre_id")}
                kw["data"].update(event="urge", message="测试", org=str(self.ids["organisation_id"]))
            return kw
        params = {}
        for p in op.get("parameters", []):
            if p.get("in") != "query":
                continue
            name = p["name"]
            if name in self.ids or p.get("required"):
                params[name] = self.value(name, p.get("schema", {}))
        if "start" in params and "end" in params:
            params["start"], params["end"] = (clock.today() - timedelta(days=30)).isoformat(), clock.today().isoformat()
        kw["params"] = params
        body = op.get("requestBody")
        if body:
            content_type, media = next(iter(body["content"].items()))
            value = self.value("body", media.get("schema", {}))
            if content_type.startswith("multipart") or content_type.endswith("x-www-form-urlencoded"):
                files = {k: ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf") for k, v in (value or {}).items() if isinstance(v, bytes)}
                kw["data"] = {k: str(v) for k, v in (value or {}).items() if not isinstance(v, bytes | dict | list)}
                if files:
                    kw["files"] = files
            else:
                kw["json"] = value
        return kw
