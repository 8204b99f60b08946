#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

For developers only, an unset DJANGO_SETTINGS_MODULE means the local settings (SQLite, DEBUG,
published development keys), so `python manage.py <command>` works in a checkout. Servers never rely
on it: the image sets config.settings.production (docker/Dockerfile) and the ASGI application and
Celery refuse to start without an explicit DJANGO_SETTINGS_MODULE (config/asgi.py, config/celery_app.py).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
