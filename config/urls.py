from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The schema and its docs describe every operation: for signed-in staff (others go to the sign-in).
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", login_required(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves Swagger's start-up script as a file: the docs keep the strict CSP.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="frontend/api_docs.html")),
        name="api-docs",
    ),
    path("api/", include("registration.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]

# Under /api/ even Django's own 400 and 404 answers use the API's JSON error shape.
handler400 = "registration.apis.bad_request_handler"
handler404 = "registration.apis.not_found_handler"
