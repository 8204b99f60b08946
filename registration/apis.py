"""The REST API: one small view per operation; services do the work, one handler maps errors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import selectors, services
from .authentication import token_for, token_revoke
from .error_messages import error_message
from .errors import DomainError, InvalidInput, NotFound
from .health import health_report
from .lockout import lockout_response
from .proxies import client_ip_address
from .serializers import (
    AlternativeInput,
    CancelInput,
    ChipReadInput,
    ChipRegistrationInput,
    ConsentInput,
    ConsentTextOutput,
    ConsentTextQuery,
    DecisionInput,
    DocumentUploadInput,
    ReaderPollInput,
    RegistrationCreateInput,
    SessionListFilters,
    SessionOutput,
    SessionSearchInput,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is JSON: {"error": {"code", "message", "details"}} with a 4xx/5xx status."""
    if isinstance(exc, DomainError):
        return Response(_error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, OperationalError):
        body = _error_body("unavailable", "The database is unavailable: try again.")
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _error_body("invalid_input", "Some fields are not valid.", response.data)
    else:
        response.data = _error_body(getattr(exc, "default_code", "error"), str(getattr(exc, "detail", exc)))
    return response


def _error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The API's error shape; the message in the request's language from the one table of words
    (`registration/error_messages.py`), or `message` for a code the table does not word."""
    details = details if details is not None else {}
    words = error_message(code, details if isinstance(details, dict) else {}, fallback=message)
    return {"error": {"code": code, "message": words, "details": details}}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error_json(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(_error_body(code, message), status=status_code)


def not_found_handler(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: a path under /api/ that matches no endpoint gets the API's JSON error too."""
    if _is_api(request):
        return _error_json("not_found", "No such API endpoint or object.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def bad_request_handler(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler400` (Django's answer to a suspicious request, e.g. a body over the size limit), JSON under /api/."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _error_json(
                "request_too_large", "The request body is too large.", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        return _error_json("bad_request", "The request could not be understood.", status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


class SessionCreateThrottle(SimpleRateThrottle):
    scope = "session_create"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class DocumentUploadThrottle(SimpleRateThrottle):
    """Document photos per clerk: each one is decoded and searched for a face, which costs memory and CPU."""

    scope = "document_upload"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class OutletSessionCreateThrottle(SimpleRateThrottle):
    scope = "outlet_session_create"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        outlet = selectors.staff_outlet(request.user)
        return self.cache_format % {"scope": self.scope, "ident": outlet.pk if outlet else "none"}


class ReaderThrottle(SimpleRateThrottle):
    """A reader agent's messages by the reader they name, counted before the signature is checked so a
    flood costs no verification (a forger naming a real reader's id is also held by the address)."""

    message_field = ""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        message = request.data.get(self.message_field) if isinstance(request.data, dict) else None
        reader_id = message.get("reader_id") if isinstance(message, dict) else None
        try:
            ident = str(UUID(str(reader_id)))
        except ValueError:
            ident = "not-a-reader-id"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressThrottle(SimpleRateThrottle):
    """By the client's address as the trusted proxies give it (`registration.proxies`)."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip_address(request) or "unknown"}


class ReaderPollThrottle(ReaderThrottle):
    scope = "reader_poll"
    message_field = "poll"


class ReaderPollAddressThrottle(AddressThrottle):
    scope = "reader_poll_address"


class ChipReadThrottle(ReaderThrottle):
    scope = "chip_read"
    message_field = "read"


class ChipReadAddressThrottle(AddressThrottle):
    scope = "chip_read_address"


def _session_response(session_id: Any, request: Request, code: int = status.HTTP_200_OK) -> Response:
    session = selectors.session_get_for_user(request.user, session_id)
    return Response(selectors.session_public_payload(session), status=code)


class SessionListCreateApi(APIView):
    def get_throttles(self) -> list[Any]:
        if self.request.method == "POST":
            return [SessionCreateThrottle(), OutletSessionCreateThrottle()]
        return []

    @extend_schema(parameters=[SessionListFilters], responses=SessionOutput(many=True))
    def get(self, request: Request) -> Response:
        if "phone_number" in request.query_params:
            raise InvalidInput(
                "Search by phone number with POST /api/sessions/search/ (the number in the body): "
                "addresses are written to logs.",
                code="phone_in_address",
            )
        filters = SessionListFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return _session_page(request, filters.validated_data)

    @extend_schema(request=RegistrationCreateInput, responses={201: SessionOutput})
    def post(self, request: Request) -> Response:
        payload = RegistrationCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        session = services.registration_create(clerk=request.user, **payload.validated_data)
        return _session_response(session.pk, request, status.HTTP_201_CREATED)


class SessionSearchApi(APIView):
    """The sessions of the outlet for one phone number (and the list's filters), asked in the body."""

    @extend_schema(request=SessionSearchInput, responses=SessionOutput(many=True))
    def post(self, request: Request) -> Response:
        filters = SessionSearchInput(data=request.data)
        filters.is_valid(raise_exception=True)
        return _session_page(request, filters.validated_data)


def _session_page(request: Request, filters: dict[str, Any]) -> Response:
    sessions = selectors.session_list(
        request.user, state=filters.get("state"), day=filters.get("date"), phone_number=filters.get("phone_number")
    )
    limit, offset = filters.get("limit", 50), filters.get("offset", 0)
    page = sessions[offset : offset + limit]
    return Response({"count": sessions.count(), "results": SessionOutput(page, many=True).data})


class SessionDetailApi(APIView):
    @extend_schema(responses=SessionOutput)
    def get(self, request: Request, session_id: str) -> Response:
        return _session_response(session_id, request)


class SessionConsentApi(APIView):
    @extend_schema(request=ConsentInput, responses=SessionOutput)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        payload = ConsentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.consent_record(session_id=session_id, actor=request.user, **payload.validated_data)
        return _session_response(session_id, request)


class SessionExtendApi(APIView):
    """The customer asks for more time while reading the consent (once)."""

    @extend_schema(request=None, responses=SessionOutput)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        services.session_extend(session_id=session_id, actor=request.user)
        return _session_response(session_id, request)


class SessionAlternativeApi(APIView):
    @extend_schema(request=AlternativeInput, responses=SessionOutput)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        payload = AlternativeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.session_request_alternative(session_id=session_id, actor=request.user, **payload.validated_data)
        return _session_response(session_id, request)


class SessionDocumentApi(APIView):
    throttle_classes = [DocumentUploadThrottle]

    @extend_schema(request={"multipart/form-data": DocumentUploadInput}, responses=SessionOutput)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        payload = DocumentUploadInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["image"]
        data = upload.read(settings.SHIMING_MAX_UPLOAD_BYTES + 1)
        services.document_upload(
            session_id=session_id, actor=request.user, data=data, source=payload.validated_data["source"]
        )
        return _session_response(session_id, request)


class SessionChipReadRequestApi(APIView):
    """The clerk asks the outlet's card reader to read the customer's card for this session."""

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        return Response(services.chip_read_request(session_id=session_id, actor=request.user))


class ChipRegistrationApi(APIView):
    """The registration page opens a registration by the card's chip (a PRC card): the clerk types
    only the phone number; the outlet's reader agent answers with the signed read."""

    throttle_classes = [SessionCreateThrottle, OutletSessionCreateThrottle]

    @extend_schema(request=ChipRegistrationInput, responses={201: dict})
    def post(self, request: Request) -> Response:
        payload = ChipRegistrationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        opened = services.chip_registration_request(clerk=request.user, **payload.validated_data)
        return Response(opened, status=status.HTTP_201_CREATED)


class ChipRegistrationDetailApi(APIView):
    """The registration page's poll: the request's outcome, and what the chip filled in."""

    @extend_schema(responses=dict)
    def get(self, request: Request, request_id: str) -> Response:
        answer = services.chip_registration_get(clerk=request.user, request_id=request_id)
        if answer["outcome"] not in ("", "registered"):  # why the read opened nothing, in the page's language
            answer["message"] = error_message(answer["outcome"], fallback=answer["outcome"])
        return Response(answer)


class ReaderPollApi(APIView):
    """A reader agent's signed poll for the chip reads open at its outlet (no user: the key signs)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes = [ReaderPollAddressThrottle, ReaderPollThrottle]

    @extend_schema(request=ReaderPollInput, responses=dict)
    def post(self, request: Request) -> Response:
        payload = ReaderPollInput(data=request.data)
        payload.is_valid(raise_exception=True)
        pending = services.reader_pending_reads(**payload.validated_data)
        return Response({"requests": pending})


class ChipReadApi(APIView):
    """A reader agent's signed chip read for a session (no user: the enrolled reader's key signs)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes = [ChipReadAddressThrottle, ChipReadThrottle]

    @extend_schema(request=ChipReadInput, responses=dict)
    def post(self, request: Request) -> Response:
        payload = ChipReadInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        session = services.chip_read_submit(
            read=data["read"], portrait_b64=data["portrait"], signature=data["signature"]
        )
        return Response({"session_id": str(session.pk), "state": session.state})


class SessionCancelApi(APIView):
    @extend_schema(request=CancelInput, responses=SessionOutput)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        payload = CancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.session_cancel(session_id=session_id, actor=request.user, **payload.validated_data)
        return _session_response(session_id, request)


class SessionDecisionApi(APIView):
    @extend_schema(request=DecisionInput, responses=SessionOutput)
    def post(self, request: Request, session_id: str) -> Response:
        selectors.session_get_for_user(request.user, session_id)
        payload = DecisionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.session_decide(session_id=session_id, supervisor=request.user, **payload.validated_data)
        return _session_response(session_id, request)


class ConsentTextApi(APIView):
    @extend_schema(parameters=[ConsentTextQuery], responses=ConsentTextOutput)
    def get(self, request: Request) -> Response:
        query = ConsentTextQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        text = selectors.current_consent_text(query.validated_data["kind"], query.validated_data["language"])
        if text is None:
            raise NotFound("No consent text is published.")
        return Response({**ConsentTextOutput(text).data, "body": selectors.consent_text_body(text)})


class AuthTokenApi(ObtainAuthToken):
    """The integrations' token endpoint: a new key on each call (the one issued before dies).

    A user name locked out by django-axes gets the lockout answer: axes marks the DRF request, which
    its middleware (looking at the Django request) never sees."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            return Response({"token": token_for(serializer.validated_data["user"]).key})
        except exceptions.ValidationError:
            if getattr(request, "axes_locked_out", False):
                data = request.data if isinstance(request.data, dict) else {}
                credentials = {"username": data.get("username", "")}
                # DRF's Request wraps the Django HttpRequest in `_request`; axes' response needs that one.
                return lockout_response(request._request, None, credentials)  # type: ignore[return-value]  # noqa: SLF001
            raise


class AuthTokenRevokeApi(APIView):
    """The caller's API token stops working now (the integrations' sign-out)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        token_revoke(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HealthApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request: Request) -> Response:
        report = health_report()
        return Response(report, status=status.HTTP_200_OK if report["ok"] else status.HTTP_503_SERVICE_UNAVAILABLE)
