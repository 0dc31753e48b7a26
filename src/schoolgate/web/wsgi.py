import os

from django.core.wsgi import get_wsgi_application

from schoolgate.web.secretkey import ensure_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolgate.web.settings")
ensure_key()  # a WSGI server other than `web serve` signs sessions too: the key lasts
application = get_wsgi_application()
