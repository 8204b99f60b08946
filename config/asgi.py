"""ASGI entry point: HTTP through Django, WebSockets through Channels.

No default settings: importing `config` without DJANGO_SETTINGS_MODULE fails (config/__init__.py).
Request bodies are bounded here, for every server (config/body_limit.py).
"""

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from capture.origin import SameOriginValidator  # noqa: E402
from capture.routing import websocket_urlpatterns  # noqa: E402
from config.body_limit import RequestBodyLimit, daphne_install  # noqa: E402

daphne_install(settings.SHIMING_MAX_REQUEST_BYTES, settings.SHIMING_MAX_UNSIZED_REQUEST_BYTES)

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(
            django_asgi_app,
            max_bytes=settings.SHIMING_MAX_REQUEST_BYTES,
            max_unsized_bytes=settings.SHIMING_MAX_UNSIZED_REQUEST_BYTES,
        ),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
