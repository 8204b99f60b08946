"""Pages only: each view renders a template; the pages talk to the REST API and WebSockets.

The exceptions serve evidence: `portrait` (the clerk checks the ID portrait that will be matched,
while the session is open), `review_image` and `document_check.document_photo` (the supervisor
deciding a case); every such view is audited by `services.evidence_read`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from registration import selectors, services
from registration.error_messages import error_message
from registration.errors import NotFound
from registration.liveness_settings import liveness_config
from registration.models import EvidenceKind, Subscriber, VerificationSession
from registration.roles import is_supervisor
from registration.state_machine import FINAL_STATES, OPEN_STATES, SessionState, action_allowed, document_action
from registration.verification_policy import effective_policy

from .document_check import document_check
from .labels import state_labels
from .prompts import prompt_audio_urls
from .review import distance_band, liveness_steps

S = SessionState


class SignOutView(auth_views.LogoutView):
    """Sign out; the screens this sign-in has open (dashboard, session, capture) close with it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user_id, key = request.user.pk, request.session.session_key or ""
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            services.access_signed_out(user_id=user_id, login_session_key=key)
        return response


# Which page a session in each state continues on: the clerk's steps, one handover, the customer's.
NEXT_PAGE = {
    S.CREATED: "frontend:document",
    S.DOCUMENT_CAPTURED: "frontend:handover",
    S.CONSENTED: "frontend:capture",
    S.LIVENESS_RUNNING: "frontend:capture",
    S.LIVENESS_FAILED: "frontend:capture",
}


def _session_or_404(request: HttpRequest, session_id: UUID) -> VerificationSession:
    services.sessions_expire_stale()  # a session past its time is shown, and refused, as expired
    try:
        return selectors.session_get_for_user(request.user, session_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _session_page(request: HttpRequest, template: str, session: VerificationSession, **extra: Any) -> HttpResponse:
    context = {
        "outlet": selectors.staff_outlet(request.user),
        "session": session,
        "session_payload": selectors.session_public_payload(session),
        "state_labels": state_labels(),
        **extra,
    }
    return render(request, template, context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    services.sessions_expire_stale()
    sessions = selectors.session_list(request.user, day=timezone.localdate())[:20]
    return render(
        request,
        "frontend/home.html",
        {"outlet": selectors.staff_outlet(request.user), "sessions": sessions, "open_states": OPEN_STATES},
    )


def utc_offset() -> str:
    """The outlet's clock as people read it in any language: "UTC+08:00" (not "Asia/Shanghai")."""
    offset = timezone.localtime().strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    outlet = selectors.staff_outlet(request.user)
    services.sessions_expire_stale()
    sessions = selectors.session_list(request.user, day=timezone.localdate())[:100]
    context = {
        "outlet": outlet,
        "sessions": sessions,
        "time_zone": settings.TIME_ZONE,
        "utc_offset": utc_offset(),
        # A supervisor's queue, one tap away: how many cases wait, and the next one (frontend:review).
        "review_waiting": selectors.review_queue(request.user).count() if is_supervisor(request.user) else None,
        **_light_declines(request),
    }
    return render(request, "frontend/dashboard.html", context)


LIGHT_DECLINES_DAYS = 7


def _light_declines(request: HttpRequest) -> dict[str, Any]:
    """Each clerk's share of sessions that declined the light step (the defence against replayed
    video), today and over the last week: a clerk who declines it often is worth a look. Supervisors only."""
    if not is_supervisor(request.user):
        return {}
    today_start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    week = selectors.light_declines_by_clerk(request.user, since=today_start - timedelta(days=LIGHT_DECLINES_DAYS - 1))
    today = {row.clerk: row for row in selectors.light_declines_by_clerk(request.user, since=today_start)}
    return {"light_declines": [(row, today.get(row.clerk)) for row in week], "light_declines_days": LIGHT_DECLINES_DAYS}


@login_required
@require_GET
def dashboard_row(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """One session's dashboard row, rendered as the page renders it: the script fetches it when the
    session changes, so the row has one template (`frontend/dashboard_row.html`)."""
    session = _session_or_404(request, session_id)
    return render(request, "frontend/dashboard_row.html", {"s": session, "time_zone": settings.TIME_ZONE})


@login_required
def register(request: HttpRequest) -> HttpResponse:
    context = {
        "outlet": selectors.staff_outlet(request.user),
        "initial": _restart_data(request),
        "name_max_length": Subscriber._meta.get_field("full_name").max_length,
        "open_states": sorted(str(state) for state in OPEN_STATES),
        "state_labels": state_labels(),
    }
    return render(request, "frontend/register.html", context)


# A registration that ended without a decision can be started again from its data.
RESTARTABLE = {S.EXPIRED, S.CANCELLED}


def _restart_data(request: HttpRequest) -> dict[str, str]:
    """The customer's details of the session in ?from=, to fill a new registration: name, document
    type, phone and birth date. Never its evidence, and not the document number (kept only masked
    and encrypted): the clerk types it again from the document in hand."""
    try:
        old = selectors.session_get_for_user(request.user, UUID(request.GET.get("from", "")))
    except (ValueError, NotFound):
        return {}
    if old.state not in RESTARTABLE:
        return {}
    subscriber, document = old.subscriber, old.subscriber.document
    return {
        "from": str(old.pk),
        "full_name": subscriber.full_name,
        "document_type": document.document_type,
        "phone_number": subscriber.phone_number.removeprefix("+86"),
        "birth_date": document.birth_date.isoformat() if document.birth_date else "",
    }


@login_required
def session_next_step(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session_or_404(request, session_id)
    if _document_missing(session):  # consented before its photo: the clerk photographs it first
        return redirect("frontend:document", session_id=session.pk)
    return redirect(NEXT_PAGE.get(S(session.state), "frontend:result"), session_id=session.pk)


def _document_missing(session: VerificationSession) -> bool:
    """A session opened when the consent came first can be consented without a document photo."""
    return session.state == S.CONSENTED and not selectors.has_document_portrait(session)


@login_required
def handover(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """The clerk's steps are done: the screen that asks to hand the tablet to the customer."""
    session = _session_or_404(request, session_id)
    if not action_allowed("consent", session.state):
        return redirect("frontend:session", session_id=session.pk)
    return _session_page(request, "frontend/handover.html", session, customer_screen=True)


# The customer's screens show the time left; in its last two minutes the consent offers more, once.
TIME_WARNING_SECONDS = 120


def _time_limit(session: VerificationSession, *, extendable: bool) -> dict[str, Any]:
    return {
        "expires_at": session.expires_at.isoformat(timespec="milliseconds"),
        "now": timezone.now().isoformat(timespec="milliseconds"),
        "warn_seconds": TIME_WARNING_SECONDS,
        "extendable": extendable and not selectors.session_time_extended(session),
    }


@login_required
def consent(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session_or_404(request, session_id)
    if not action_allowed("consent", session.state):
        return redirect("frontend:session", session_id=session.pk)
    time_limit = _time_limit(session, extendable=True)
    return _session_page(request, "frontend/consent.html", session, customer_screen=True, time_limit=time_limit)


@login_required
def alternative(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session_or_404(request, session_id)
    return _session_page(request, "frontend/alternative.html", session, customer_screen=True)


@login_required
def document(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session_or_404(request, session_id)
    has_portrait = selectors.has_document_portrait(session)
    if not action_allowed(document_action(has_portrait=has_portrait), session.state):
        return redirect("frontend:session", session_id=session.pk)
    limit_mb = f"{settings.SHIMING_MAX_UPLOAD_BYTES / (1024 * 1024):g}"
    return _session_page(
        request, "frontend/document.html", session, upload_limit_mb=limit_mb, has_portrait=has_portrait
    )


@login_required
@require_GET
def portrait(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """The cropped ID portrait, for the outlet's staff while the session is open (audited)."""
    session = _session_or_404(request, session_id)
    if session.state in FINAL_STATES:
        raise Http404("The session is closed.")
    evidence = selectors.evidence_of_kind(session, EvidenceKind.ID_PORTRAIT)
    if evidence is None:
        raise Http404("No portrait yet.")
    content = services.evidence_read(evidence=evidence, actor=request.user, purpose="clerk_document_check")
    response = HttpResponse(content, content_type=evidence.content_type)
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def capture(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session_or_404(request, session_id)
    if session.state in {S.CREATED, S.DOCUMENT_CAPTURED} or _document_missing(session):
        return redirect("frontend:session", session_id=session.pk)
    policy, config = effective_policy(), liveness_config()
    return _session_page(
        request,
        "frontend/capture.html",
        session,
        ice_servers=settings.SHIMING_ICE_SERVERS,
        max_attempts=policy.max_liveness_attempts,
        light_challenge=policy.light_challenge,
        light_seconds=f"{config.light.duration:.0f}",  # what the warning says (liveness/light.py)
        fps_budget=f"{config.fps_budget:g}",  # the camera and encoder ask for no more
        video_kbps=settings.SHIMING_FACE_VIDEO_KBPS,  # the encoder's ceiling (capture/webrtc/bitrate.py)
        prompt_audio=prompt_audio_urls(),
        customer_screen=True,
        time_limit=_time_limit(session, extendable=False),
    )


@login_required
def result(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session_or_404(request, session_id)
    return _session_page(request, "frontend/result.html", session, open_states=OPEN_STATES)


@require_GET
def web_app_manifest(request: HttpRequest) -> JsonResponse:
    """The installable web-app manifest: the tablet can add Shiming to its home screen, full screen."""
    manifest = {
        "name": _("Shiming real-name registration"),
        "short_name": _("Shiming"),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f5f6f8",
        "theme_color": "#c8102e",
        "icons": [
            {"src": static("frontend/icons/app-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("frontend/icons/app-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("frontend/icons/app.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: answer with the icon, not a 404."""
    return redirect(static("frontend/icons/favicon-32.png"), permanent=True)


# --- the supervisor's review ----------------------------------------------------------------------

REVIEW_IMAGES = {"portrait": EvidenceKind.ID_PORTRAIT, "live": EvidenceKind.LIVE_FRAME}


def _supervisor_only(request: HttpRequest) -> HttpResponse | None:
    if not is_supervisor(request.user):
        return HttpResponseForbidden(_("Only a supervisor can review cases."))
    return None


def _uuid_or_none(value: str) -> UUID | None:
    """A case id from the query string; anything else is ignored (the queue starts at its first case)."""
    try:
        return UUID(value)
    except ValueError:
        return None


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """The first case waiting for a decision, or "nothing to review"; ?after= skips to the next one."""
    if (refused := _supervisor_only(request)) is not None:
        return refused
    queue = selectors.review_queue(request.user)
    after = _uuid_or_none(request.GET.get("after", ""))
    next_case = queue.exclude(pk=after).first() if after else queue.first()
    decided = _uuid_or_none(request.GET.get("decided", ""))
    if next_case is not None:
        target = reverse("frontend:review-case", kwargs={"session_id": next_case.pk})
        return redirect(f"{target}?decided={decided}" if decided else target)
    return render(
        request,
        "frontend/review_empty.html",
        {"outlet": selectors.staff_outlet(request.user), "just_decided": _just_decided(request)},
    )


def _just_decided(request: HttpRequest) -> VerificationSession | None:
    """The case this supervisor has just decided (?decided=): the next page confirms the decision."""
    decided = _uuid_or_none(request.GET.get("decided", ""))
    if decided is None:
        return None
    return selectors.sessions_visible_to(request.user).filter(pk=decided, decided_by_id=request.user.pk).first()


@login_required
def review_case(request: HttpRequest, session_id: UUID) -> HttpResponse:
    if (refused := _supervisor_only(request)) is not None:
        return refused
    session = _session_or_404(request, session_id)
    kinds = set(session.evidence.values_list("kind", flat=True))
    queue = selectors.review_queue(request.user)
    deciding = session.state == S.MANUAL_REVIEW
    four_eyes = deciding and services.four_eyes_bars(session, request.user)
    return _session_page(
        request,
        "frontend/review.html",
        session,
        images={name: kind in kinds for name, kind in REVIEW_IMAGES.items()},
        band=distance_band(session),
        steps=liveness_steps(session),
        waiting=queue.count(),
        has_next=queue.exclude(pk=session.pk).exists(),
        deciding=deciding and not four_eyes,
        four_eyes=error_message("four_eyes") if four_eyes else "",
        # the page photographed and the full number, to hold against the card in hand (audited)
        **document_check(session, request.user),
        just_decided=_just_decided(request),
    )


@login_required
@require_GET
def review_image(request: HttpRequest, session_id: UUID, name: str) -> HttpResponse:
    """The document portrait or the live frame, for the supervisor deciding the case (audited)."""
    if (refused := _supervisor_only(request)) is not None:
        return refused
    session = _session_or_404(request, session_id)
    evidence = selectors.evidence_of_kind(session, REVIEW_IMAGES.get(name, ""))
    if evidence is None:
        raise Http404("No such image for this case.")
    content = services.evidence_read(evidence=evidence, actor=request.user, purpose="supervisor_review")
    response = HttpResponse(content, content_type=evidence.content_type)
    response["Cache-Control"] = "no-store, private"
    return response
