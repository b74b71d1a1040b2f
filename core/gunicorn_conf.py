"""gunicorn settings shared by the image and the chart (``--config=python:core.gunicorn_conf``).

The web process is ASGI (``core.asgi:application``): each gunicorn worker is a uvicorn event
loop serving HTTP through Django and WebSockets through Django Channels.

With several workers, Prometheus samples live in PROMETHEUS_MULTIPROC_DIR; a worker that exits
must be marked dead so its gauges stop counting."""

from __future__ import annotations

import os
from typing import Any

worker_class = "uvicorn.workers.UvicornWorker"


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
