"""gunicorn settings for production (``gunicorn --config portal/gunicorn.conf.py portal.wsgi``).

A request of the portal is mostly Python (CPU, under the GIL) with short waits on PostgreSQL
and Redis: one worker process per core keeps every core busy, and a few threads per worker
overlap those waits (``gthread``). More processes than cores only add context switches and
database connections: measured with ``bench/autosave_load.py`` (docs/operations.md). Each
thread holds one persistent PostgreSQL connection (``CONN_MAX_AGE``): workers x threads
connections per web container.

Each worker listens on its own socket (``reuse_port``): the kernel spreads new connections over
the workers. With one shared socket, whichever worker wakes first accepts a burst of new
connections (all the browsers reconnecting after a restart, or a benchmark's clients): kept
alive, they then stay on that one worker while the others idle, and the portal serves at the
speed of one core (``bench/autosave_load.py`` found every autosave of 50 clients on one of the
two workers). A worker that exits (recycled after ``max_requests``) drops the connections still
waiting in its own queue, not yet accepted; on Linux 5.14+ ``sysctl net.ipv4.tcp_migrate_req=1``
hands them to a sibling instead (docs/operations.md).

Environment: ``GUNICORN_WORKERS`` (default: the number of cores), ``GUNICORN_THREADS``
(default 4), ``GUNICORN_KEEPALIVE`` (seconds, default 30: browsers autosaving every 1.5 s
reuse their connection through the proxy).
"""

import multiprocessing
import os

worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
reuse_port = True
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "30"))
# A request that takes longer than this is killed and logged (uploads are bounded to 2 s of
# server time; the receipt PDF and the e-mails run in Celery).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Recycle workers now and then, with jitter so that they do not restart together.
max_requests = 20_000
max_requests_jitter = 2_000


def post_worker_init(worker):
    """Once the worker has loaded the portal, move every object alive then out of the garbage
    collector's reach (``gc.freeze``): Django's modules, models and URL patterns are never
    garbage, yet each full collection walked them all, and a page that allocates a lot (the
    decision page at 10 000 bids) paid 90-175 ms for it now and then (its p95)."""
    import gc

    gc.collect()
    gc.freeze()
