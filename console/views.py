"""Account pages the console adds to Django's (sign up), and error pages that answer JSON
under /api/ (console/middleware.py's errors) and HTML elsewhere."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.decorators.http import require_http_methods

from console.middleware import API_PREFIX, api_error


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and sign in with it at once."""
    if request.user.is_authenticated:
        return redirect("home")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"error": "csrf", "message": f"CSRF check failed ({reason}): send the csrftoken cookie's value "
                                         "in the X-CSRFToken header"},
            status=403,
        )
    return html_csrf_failure(request, reason)


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return api_error(request, 404)
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return api_error(request, 500)
    return render(request, "500.html", status=500)
