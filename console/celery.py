"""The Celery app ("console"), configured from Django's settings (the CELERY_ names).

Two modes (ARCHITECTURE.md, "Runs"):

- embedded (the default, REDIS_URL empty): the broker is kombu's in-process ``memory://``
  transport and a worker runs in a daemon thread of the console's own process, started with the
  ASGI application (``start_embedded_worker``): `make run` is all there is to it;
- production-like (REDIS_URL set): Redis is the broker and separate `celery -A console worker`
  processes (`make worker`), on any machines, execute the runs.

Either way a worker checks for stuck runs when it starts and every WIRETAP_REPAIR_EVERY_S.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)
_embedded_lock = threading.Lock()
_embedded: Any = None


def _repair_every(interval_s: float) -> threading.Event:
    """Check for stuck runs now and every ``interval_s`` in a daemon thread; set the returned event to stop."""
    from tracer import services

    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                services.repair_stuck_runs()
            except Exception:
                log.exception("the check for stuck runs failed; next try in %s s", interval_s)
            finally:
                from django.db import connection

                connection.close()
            if stop.wait(interval_s):
                return

    threading.Thread(target=loop, name="wiretap-repair", daemon=True).start()
    return stop


@worker_ready.connect  # sent by `celery worker` (celery.apps.worker), not by a bare WorkController
def _on_worker_ready(**_: Any) -> None:
    from django.conf import settings

    _repair_every(settings.WIRETAP_REPAIR_EVERY_S)


def start_embedded_worker() -> threading.Thread | None:
    """Start the in-process worker once (a solo pool in a daemon thread); returns its thread.

    The worker is built in its thread too: building it runs Django's model checks, which may
    query the database, and this is called from Daphne's event loop.
    """
    global _embedded
    from django.conf import settings

    if _embedded is not None or not settings.CELERY_WORKER_EMBEDDED:
        return _embedded
    with _embedded_lock:
        if _embedded is None:
            _embedded = threading.Thread(target=_run_embedded_worker, name="wiretap-celery-worker", daemon=True)
            _embedded.start()
        return _embedded


def _run_embedded_worker() -> None:
    from django.conf import settings

    # A WorkController never sends worker_ready: the repair starts here, as in a real worker.
    _repair_every(settings.WIRETAP_REPAIR_EVERY_S)
    worker = app.WorkController(
        concurrency=1, pool_cls="solo", hostname=f"embedded@{os.uname().nodename}",
        without_heartbeat=True, without_mingle=True, without_gossip=True, loglevel="INFO")
    worker.start()
