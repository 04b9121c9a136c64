"""Error bodies in the styles SparkPost really uses, one builder per style.

SparkPost has no single error format (reference section 1.5): sending domains
use classic message/description/code, the Subaccounts API uses
message/param/value, IP pools and tracking domains use message-only bodies.
Handlers raise ApiError with the body already built in the right style, so the
HTTP layer never has to know which endpoint produced it.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error response: status, JSON body and optional extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def classic(status: int, code: str, message: str, description: str | None = None) -> ApiError:
    """Style 1: message + description + code, code as a *string* (sending domains, generic)."""
    err: dict[str, Any] = {"message": message}
    if description is not None:
        err["description"] = description
    err["code"] = code
    return ApiError(status, {"errors": [err]})


def message_only(status: int, message: str) -> ApiError:
    """Style 2: message only (IP pools, tracking-domain 404, 401/403/429/503)."""
    return ApiError(status, {"errors": [{"message": message}]})


def validation(errors: list[tuple[str, str, Any]], status: int = 400) -> ApiError:
    """Style 3: a list of message + param + value, no code (Subaccounts API, tracking domains)."""
    return ApiError(
        status, {"errors": [{"message": m, "param": p, "value": v} for (m, p, v) in errors]}
    )


# Canned responses shared by every endpoint.
def unauthorized() -> ApiError:
    # The real 401 body is undocumented (reference section 11 item 7); clients only look
    # at the status.  This mirrors the documented 403 wording.
    return message_only(401, "Unauthorized.")


def forbidden() -> ApiError:
    # Observed body for a key that lacks the grant (PHP#64): message only, no code.
    return message_only(403, "Forbidden.")


def invalid_uri(path: str) -> ApiError:
    return classic(404, "1101", "invalid URI", f"Unknown path {path}")


def method_not_allowed(method: str, path: str, allowed: list[str]) -> ApiError:
    err = classic(405, "1102", "invalid http method", f"{method} is not supported on {path}")
    err.headers["Allow"] = ", ".join(allowed)
    return err


def unsupported_media_type(content_type: str) -> ApiError:
    return classic(415, "1700", "Unsupported Content-Type",
                   f"Content-Type '{content_type}' is not supported; use application/json")


def bad_json() -> ApiError:
    # "Response invalid json / Current 422": {"message": "invalid data format/type",
    # "description": "Problems parsing request as json", "code": "1300"} (support-docs
    # articles/tech-resources/Changes-to-API-HTTP-Responses-and-Error-Codes @ 92f87704,
    # "Generic"); S-err also gives 1300 "invalid data format/type/length" as 422.
    return classic(422, "1300", "invalid data format/type", "Problems parsing request as json")


def not_an_object() -> ApiError:
    # A body that parses but is not a JSON object: the same article's type-validation
    # answer (422/1300 "invalid data format/type").
    return classic(422, "1300", "invalid data format/type", "Request body must be a JSON object")


def fold_descriptions(body: bytes) -> bytes:
    """The announced post-2019 error format: `description` folded into `message`, `code`
    unchanged (support-docs content/docs/tech-resources/api-error-response-changes.md)."""
    import json
    try:
        data = json.loads(body)
    except ValueError:
        return body
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return body
    for err in errors:
        if isinstance(err, dict) and "description" in err:
            err["message"] = err.pop("description")
    return json.dumps(data).encode()


def not_utf8() -> ApiError:
    return classic(400, "1305", "input not UTF-8", "Request body is not valid UTF-8")


def too_many_requests() -> ApiError:
    # Body is UNCONFIRMED on the live API; S-err's wording.
    return message_only(429, "Too many requests")


def service_unavailable() -> ApiError:
    # The one 503 body observed in the wild (cividesk issue #93).
    return message_only(503, "Unable to contact authorization service.")


def resource_not_found_generic() -> ApiError:
    # The web app's generic 404 fixture; used where the real body is undocumented.
    return message_only(404, "Resource could not be found")
