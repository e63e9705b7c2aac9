"""The Wiretap web console: the Django project (settings, ASGI entry point, URLs, accounts)."""
