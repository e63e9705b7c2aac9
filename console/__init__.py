"""The Wiretap web console: the Django project (settings, ASGI entry point, URLs, accounts)."""

# Loaded with Django, so that tasks (tracer.tasks) bind to this app and its broker.
from console.celery import app as celery_app

__all__ = ["celery_app"]
