"""Read a PDF's page count in a forked child process, killed after a wall-clock budget.

pypdf has no time budget of its own and a hostile file (50,000 pages, a huge
cross-reference table, a damaged file that pypdf rebuilds by scanning, a compressed object
stream that inflates to gigabytes) can cost tens of seconds or all the memory. The child is
forked (pypdf is already imported: a fresh interpreter would spend most of the budget
starting on a loaded machine), limits its own address space, touches neither the database
nor logging handlers, and sends back one dict:

- ``{"pages": N}``: readable, N from the ``/Count`` of the page tree's root (read without
  walking the pages: a walk costs about half a millisecond per page);
- ``{"error": "encrypted" | "unreadable" | "no_pages" | "timeout"}``.
"""

import io
import multiprocessing
import os
import resource
from multiprocessing.connection import Connection
from typing import Any

from pypdf import PdfReader

MEMORY_BYTES = 512 * 1024 * 1024  # on top of what the worker already maps


def read_page_count(data: bytes) -> dict[str, Any]:
    """The facts of ``data`` (in-process, unbounded: call through ``probe``)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return {"error": "encrypted"}
        root: Any = reader.trailer["/Root"].get_object()
        pages = int(root["/Pages"].get_object()["/Count"])
    except Exception as error:  # pypdf raises many types on damaged files
        return {"error": "unreadable", "detail": repr(error)[:200]}
    if pages < 1:
        return {"error": "no_pages"}
    return {"pages": pages}


def _child(data: bytes, conn: Connection) -> None:
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + MEMORY_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass  # no /proc: the wall-clock budget still applies
    try:
        result = read_page_count(data)
    except MemoryError:
        result = {"error": "unreadable", "detail": "memory limit"}
    conn.send(result)
    conn.close()


def probe(data: bytes, *, seconds: float) -> dict[str, Any]:
    """``read_page_count(data)`` in a child process; ``{"error": "timeout"}`` beyond
    ``seconds`` of wall-clock time (the child is killed)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(data, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            try:
                return dict(receiver.recv())
            except EOFError:  # the child died (memory limit)
                return {"error": "unreadable", "detail": "child died"}
        return {"error": "timeout"}
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
