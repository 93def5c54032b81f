"""WSGI entry point of the stock Wagtail peer (Granian imports `peer_wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
application = get_wsgi_application()
