"""The small piece of HTTP plumbing the JSON API shares: authentication, methods, bodies, errors.

Every answer is JSON, errors included: ``{"error": code, "message": one line, ...}``. An
anonymous caller gets 401 (never a redirect to the login page), a topology of someone else
404 (as if it did not exist), a body that cannot be used 400 with ``problems`` naming each
thing wrong by its JSON pointer in the body, a stale version 409 with the current state.

A write past one of the user's quotas of stored bytes (``QuotaExceeded``) is 403
``quota_exceeded``, with ``quota``, ``setting``, ``used_bytes`` and ``limit_bytes``: the request
is understood and would be valid, but this user may not store more until they delete something.
Not 413 (the body is not too large), nor 429 (waiting does not help), nor 507 (a 5xx says the
server failed, and clients retry it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from designer import presenters, strict_json
from designer.services import Conflict, InvalidInput, QuotaExceeded
from emulator.problems import Problem, unknown_fields

View = Callable[..., HttpResponse]


def error(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **details}, status=status)


def invalid(found: list[Problem]) -> JsonResponse:
    first = found[0]
    where = f" at {first.pointer}" if first.pointer else ""
    more = f" (and {len(found) - 1} more problem(s))" if len(found) > 1 else ""
    return error(400, "invalid", f"{first.message}{where}{more}", problems=presenters.problems(found))


def api_view(*methods: str) -> Callable[[View], View]:
    """Make a view part of the JSON API: signed-in users only, these methods, errors as JSON."""

    def decorate(view: View) -> View:
        @login_not_required  # the API answers 401 itself rather than redirecting to the login page
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return error(401, "unauthenticated", "sign in first (the API uses the session of the console)")
            if request.method not in methods:
                response = error(405, "method_not_allowed", f"{request.method} is not allowed here; use "
                                 f"{' or '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except InvalidInput as bad:
                return invalid(bad.problems)
            except Conflict as conflict:
                latest = conflict.topology.versions.select_related("topology", "author").get(
                    number=conflict.topology.version)
                return error(409, "conflict", str(conflict), current=presenters.topology(latest))
            except QuotaExceeded as full:
                return error(403, "quota_exceeded", str(full), quota=full.quota, setting=full.setting,
                             used_bytes=full.used_bytes, limit_bytes=full.limit_bytes)
            except (ObjectDoesNotExist, Http404):
                return error(404, "not_found", f"nothing at {request.path}")
            except RequestDataTooBig:
                limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
                return error(413, "too_large", f"the body is larger than the {limit_kb} KB the console accepts; "
                             "nothing was saved")

        wrapper.api_methods = methods  # read by the OpenAPI test
        return wrapper

    return decorate


def json_body(request: HttpRequest, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``), read by designer/strict_json.py; raises
    InvalidInput naming what is wrong."""
    if not request.body.strip():
        body: Any = {}
    else:
        try:
            body = strict_json.loads(request.body)
        except strict_json.InvalidJson as bad:
            raise InvalidInput(bad.problems) from None
    if not isinstance(body, dict):
        raise InvalidInput([Problem("", "the body must be a JSON object")])
    found = unknown_fields(body, allowed, "", "this request's body")
    found += [Problem(f"/{key}", "is required") for key in required if key not in body]
    if found:
        raise InvalidInput(found)
    return body


def no_content() -> HttpResponse:
    return HttpResponse(status=204)
