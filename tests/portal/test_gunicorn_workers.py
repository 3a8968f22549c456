"""The production gunicorn configuration: kept-alive connections spread over its workers, and
what a worker loaded kept out of the garbage collector.

With one listening socket shared by the workers, a burst of new connections (browsers coming
back after a restart, a benchmark's clients) was accepted by whichever worker woke first and,
kept alive, stayed there: ``bench/autosave_load.py`` found all 50 clients' autosaves on one of
two workers, the portal running at the speed of one core. ``reuse_port`` gives each worker its
own socket, which the kernel fills in turn by a hash of the connection.
"""

import gc
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 40

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux /proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:  # ended meanwhile
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def sockets_held(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def socket_owners(pids: list[int]) -> dict[str, int]:
    """Socket inode -> the process among ``pids`` that holds it (an accepted connection is
    held by one worker only)."""
    return {inode: pid for pid in pids for inode in sockets_held(pid)}


def server_sockets(port: int, state: str) -> list[str]:
    """Inodes of the IPv4 sockets bound locally to ``port`` in ``state`` (0A listen, 01 open)."""
    inodes = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state:
            inodes.append(fields[9])
    return inodes


def test_a_burst_of_kept_alive_connections_is_spread_over_the_workers(tmp_path):
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
        "GUNICORN_WORKERS": "2",
    }
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            str(ROOT / "portal" / "gunicorn.conf.py"),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    clients: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while time.monotonic() < deadline:  # both workers booted and listening
            workers = children(server.pid)
            listening = set(server_sockets(port, "0A"))
            if len(workers) == 2 and all(sockets_held(pid) & listening for pid in workers):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start:\n{(tmp_path / 'gunicorn.log').read_text()}")

        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        per_worker: dict[int, int] = {}
        while time.monotonic() < deadline:  # until every connection is accepted by a worker
            owners = socket_owners(workers)
            accepted = [owners[i] for i in server_sockets(port, "01") if i in owners]
            per_worker = {pid: accepted.count(pid) for pid in workers}
            if len(accepted) == CONNECTIONS:
                break
            time.sleep(0.1)

        # A fair coin per connection: fewer than 8 of 40 on a worker has odds below 1 in 10^4.
        assert sum(per_worker.values()) == CONNECTIONS
        assert min(per_worker.values()) >= 8, per_worker
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.wait(timeout=30)


def test_a_worker_freezes_what_it_loaded_out_of_the_garbage_collector():
    hooks = runpy.run_path(str(ROOT / "portal" / "gunicorn.conf.py"))
    try:
        hooks["post_worker_init"](None)
        # Everything alive after loading (Django's modules, models, URL patterns) is frozen.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
