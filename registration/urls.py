from django.urls import path

from . import apis

app_name = "registration"

urlpatterns = [
    path("health/", apis.HealthApi.as_view(), name="health"),
    path("auth/token/", apis.AuthTokenApi.as_view(), name="token"),
    path("auth/token/revoke/", apis.AuthTokenRevokeApi.as_view(), name="token-revoke"),
    path("consent-text/", apis.ConsentTextApi.as_view(), name="consent-text"),
    path("sessions/", apis.SessionListCreateApi.as_view(), name="sessions"),
    path("sessions/search/", apis.SessionSearchApi.as_view(), name="session-search"),
    path("sessions/<uuid:session_id>/", apis.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<uuid:session_id>/consent/", apis.SessionConsentApi.as_view(), name="session-consent"),
    path("sessions/<uuid:session_id>/extend/", apis.SessionExtendApi.as_view(), name="session-extend"),
    path("sessions/<uuid:session_id>/alternative/", apis.SessionAlternativeApi.as_view(), name="session-alternative"),
    path("sessions/<uuid:session_id>/document/", apis.SessionDocumentApi.as_view(), name="session-document"),
    path(
        "sessions/<uuid:session_id>/chip-read-request/",
        apis.SessionChipReadRequestApi.as_view(),
        name="session-chip-read-request",
    ),
    path("chip-registrations/", apis.ChipRegistrationApi.as_view(), name="chip-registrations"),
    path(
        "chip-registrations/<uuid:request_id>/",
        apis.ChipRegistrationDetailApi.as_view(),
        name="chip-registration-detail",
    ),
    path("readers/poll/", apis.ReaderPollApi.as_view(), name="reader-poll"),
    path("readers/reads/", apis.ChipReadApi.as_view(), name="reader-reads"),
    path("sessions/<uuid:session_id>/cancel/", apis.SessionCancelApi.as_view(), name="session-cancel"),
    path("sessions/<uuid:session_id>/decision/", apis.SessionDecisionApi.as_view(), name="session-decision"),
]
