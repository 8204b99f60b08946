"""WebSocket routes. Anything else (an unknown path, a session id that is not a UUID) reaches
`UnknownRouteConsumer` and is closed with 4404, instead of the router's "No route found" error."""

from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/sessions/<uuid:session_id>/", consumers.SessionConsumer.as_asgi()),
    path("ws/capture/<uuid:session_id>/", consumers.CaptureConsumer.as_asgi()),
    path("ws/dashboard/", consumers.DashboardConsumer.as_asgi()),
    re_path(r"", consumers.UnknownRouteConsumer.as_asgi()),
]
