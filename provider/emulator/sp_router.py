"""Request/response types, caller scope rules and the route table plumbing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import sp_errors
from .sp_model import ApiKey, Store

API_PREFIX = "/api/v1"


@dataclass
class Caller:
    """Who is calling and on behalf of which (sub)account.

    `header` is the effective X-MSYS-SUBACCOUNT: None when absent, 0 for "primary only",
    n for subaccount n.  For subaccount-owned keys it is forced to the key's subaccount
    (S-subguide: "will always be overwritten").
    """
    key: ApiKey
    header: int | None

    @property
    def is_subaccount_key(self) -> bool:
        return self.key.subaccount_id is not None

    @property
    def owner(self) -> int | None:
        """Owner of objects this caller creates or modifies (None = primary).

        POST/PUT/DELETE without the header affect the primary account only (D-sub).
        """
        return self.header or None

    def can_read(self, owner: int | None) -> bool:
        """GET without the header sees primary + every subaccount; 0 = primary; n = n."""
        if self.header is None:
            return True
        return owner == (self.header or None)

    def can_write(self, owner: int | None) -> bool:
        return owner == self.owner


@dataclass
class Request:
    method: str
    path: str                    # without query string and trailing slash
    query: dict[str, str]
    body: Any                    # parsed JSON, or None when there was no body
    params: dict[str, str]
    caller: Caller
    client_ip: str
    region: str
    store: Store

    def json_object(self) -> dict[str, Any]:
        """The body as an object; an empty body counts as {}."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise sp_errors.not_an_object()
        return self.body


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    template: str                # e.g. "/api/v1/subaccounts/{id}"
    resource: str                # first segment after /api/v1, used by grants and faults
    handler: Handler
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.regex = re.compile(f"^{pattern}\\Z")


@dataclass
class Match:
    route: Route | None          # None when no route has this method (405) or path (404)
    template: str | None         # None when no route has this path (404)
    resource: str | None
    params: dict[str, str]
    allowed: list[str]           # methods the path supports, for the Allow header


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        resource = template[len(API_PREFIX):].strip("/").split("/")[0]
        self.routes.append(Route(method, template, resource, handler))

    def match(self, method: str, path: str) -> Match:
        """Find the route; literal segments win over placeholders because routes with
        literals (e.g. /subaccounts/summary) are registered first."""
        allowed: list[str] = []
        template = resource = None
        params: dict[str, str] = {}
        for r in self.routes:
            m = r.regex.match(path)
            if not m:
                continue
            if template is None:
                template, resource, params = r.template, r.resource, m.groupdict()
            elif r.template != template:
                continue
            allowed.append(r.method)
            if r.method == method:
                return Match(r, r.template, r.resource, m.groupdict(), allowed)
        return Match(None, template, resource, params, allowed)
