"""Celery application.

Without ``CELERY_BROKER_URL`` the broker is kombu's filesystem transport under
``var/broker`` so that a real worker process runs the tasks with no server to install.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
