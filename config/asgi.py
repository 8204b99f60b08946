"""ASGI entry point: HTTP through Django, WebSockets through Channels.

No default settings: importing `config` without DJANGO_SETTINGS_MODULE fails (config/__init__.py).
"""

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from capture.origin import SameOriginValidator  # noqa: E402
from capture.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
