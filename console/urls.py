"""The console's URLs: accounts, the designer's and the runs' pages, and the JSON API."""

from django.urls import include, path

from console import views

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    # login/, logout/ (POST only), password_change/...
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("designer.api_urls")),
    path("api/", include("tracer.api_urls")),
    path("", include("tracer.page_urls")),
    path("", include("designer.urls")),
]

handler404 = "console.views.not_found"
handler500 = "console.views.server_error"
