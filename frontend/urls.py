from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import catalogue, customer_mode, document_check, views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/rows/<uuid:session_id>/", views.dashboard_row, name="dashboard-row"),
    path("register/", views.register, name="register"),
    path("sessions/<uuid:session_id>/", views.session_next_step, name="session"),
    path("sessions/<uuid:session_id>/handover/", views.handover, name="handover"),
    path("sessions/<uuid:session_id>/customer-mode/", customer_mode.customer_mode_start, name="customer-mode"),
    path("customer-mode/return/", customer_mode.customer_return, name="customer-return"),
    path("sessions/<uuid:session_id>/consent/", views.consent, name="consent"),
    path("sessions/<uuid:session_id>/alternative/", views.alternative, name="alternative"),
    path("sessions/<uuid:session_id>/document/", views.document, name="document"),
    path("sessions/<uuid:session_id>/portrait.jpg", views.portrait, name="portrait"),
    path("sessions/<uuid:session_id>/capture/", views.capture, name="capture"),
    path("sessions/<uuid:session_id>/result/", views.result, name="result"),
    path("review/", views.review_queue, name="review"),
    path("review/<uuid:session_id>/", views.review_case, name="review-case"),
    path("review/<uuid:session_id>/document.jpg", document_check.document_photo, name="review-document-photo"),
    path("review/<uuid:session_id>/<str:name>.jpg", views.review_image, name="review-image"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("jsi18n/<str:language>.json", catalogue.language_catalogue, name="language-catalogue"),
    path("manifest.webmanifest", views.web_app_manifest, name="manifest"),
    path("favicon.ico", views.favicon, name="favicon"),
]
