"""WSGI entry point, served by Granian (`make run`) or any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govsite.settings")
application = get_wsgi_application()
