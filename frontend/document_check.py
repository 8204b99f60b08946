"""The supervisor's check of the document by hand, on the review page: the whole page the clerk
photographed and the document's full number, next to the portrait crop and the live picture.

Both are shown only to a supervisor of the case's outlet who may decide it
(`services.document_check_allowed`: in manual review, not barred by the four-eyes rule), and every
look is audited (`evidence.viewed` with the purpose `supervisor_document_check`,
`document.number_viewed`). A customer who refused face processing depends on this check alone.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from registration import selectors, services
from registration.errors import NotFound
from registration.models import EvidenceKind, VerificationSession
from registration.roles import is_supervisor

PURPOSE = "supervisor_document_check"


def document_check(session: VerificationSession, supervisor: Any) -> dict[str, Any]:
    """The review page's document context: the full number (its reading audited) and whether the
    page's photo is there to show; nothing unmasked for a supervisor who may not decide the case."""
    if not services.document_check_allowed(session, supervisor):
        return {"document_number": "", "document_photo": False}
    return {
        "document_number": services.document_number_for_review(session_id=session.pk, supervisor=supervisor),
        "document_photo": selectors.evidence_of_kind(session, EvidenceKind.DOCUMENT_PHOTO) is not None,
    }


@login_required
@require_GET
def document_photo(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """The whole document page the clerk photographed, for the supervisor deciding the case (audited)."""
    if not is_supervisor(request.user):
        return HttpResponseForbidden(_("Only a supervisor can review cases."))
    try:
        session = selectors.session_get_for_user(request.user, session_id)  # the outlet's cases only
    except NotFound as exc:
        raise Http404(exc.message) from exc
    evidence = selectors.evidence_of_kind(session, EvidenceKind.DOCUMENT_PHOTO)
    if evidence is None or not services.document_check_allowed(session, request.user):
        raise Http404("No document photo to check for this case.")
    content = services.evidence_read(evidence=evidence, actor=request.user, purpose=PURPOSE)
    response = HttpResponse(content, content_type=evidence.content_type)
    response["Cache-Control"] = "no-store, private"
    return response
