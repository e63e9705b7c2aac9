"""Under /api/, every answer is JSON, whatever made it and whether DEBUG is on or off.

The API's own views answer their errors in JSON (designer/http.py), but some answers never reach
them: a URL nothing matches, a Host header ALLOWED_HOSTS refuses, an exception nothing caught.
Django answers those itself, with HTML: its DEBUG pages (which list the URL patterns, or show
the traceback) or its default 400 and 403 views. This middleware, the outermost, replaces such
an answer by the API's JSON error of the same status; Django has logged the exception already.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from inspect import iscoroutinefunction
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import sync_and_async_middleware

API_PREFIX = "/api/"

# The error codes and messages of the statuses Django answers itself.
_ERRORS = {
    400: ("bad_request", "the request cannot be read (is its Host one of ALLOWED_HOSTS?)"),
    403: ("forbidden", "this request is not allowed"),
    404: ("not_found", "nothing at {path}"),
    500: ("server_error", "the server failed unexpectedly; try again"),
}


def api_error(request: HttpRequest, status: int) -> JsonResponse:
    """The API's JSON answer for an error Django answered (``{"error": code, "message": ...}``)."""
    if status in _ERRORS:
        code, message = _ERRORS[status]
    else:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = f"HTTP {status}"
        code = message.lower().replace(" ", "_").replace("-", "_")
    return JsonResponse({"error": code, "message": message.format(path=request.path)}, status=status)


def _in_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if (request.path.startswith(API_PREFIX) and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")):
        replacement = api_error(request, response.status_code)
        # Django logs an error answer once, marking it; the replacement carries the mark, so the
        # exception's record (with its traceback) is not followed by a second one without it.
        replacement._has_been_logged = getattr(response, "_has_been_logged", False)
        return replacement
    return response


@sync_and_async_middleware
def api_answers_json(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    if iscoroutinefunction(get_response):
        async def middleware_async(request: HttpRequest) -> HttpResponse:
            response: Awaitable[HttpResponse] = get_response(request)
            return _in_json(request, await response)

        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponse:
        return _in_json(request, get_response(request))

    return middleware
