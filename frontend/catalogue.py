"""The script words of one of the project's languages, as JSON: a page switches its language in place
(frontend/static/frontend/language.js) without a reload, which would interrupt a running live check.

JSON, not the jsi18n script: the page's CSP forbids eval, and the catalogue is data the page swaps in."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.i18n import JSONCatalog


@require_GET
def language_catalogue(request: HttpRequest, language: str) -> HttpResponseBase:
    """The djangojs catalogue of `language`, one of settings.LANGUAGES (any other is 404)."""
    if language not in dict(settings.LANGUAGES):
        raise Http404("not one of the project's languages")
    with translation.override(language):
        return JSONCatalog.as_view()(request)
