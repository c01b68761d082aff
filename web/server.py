"""Serving the app with waitress, in one process or several sharing the listening socket.

Python runs one thread at a time per process, so one waitress process uses one core
however many threads it has; with ``workers`` > 1 each process serves the same socket and
the kernel spreads connections among them. Workers end with the parent, even when it is
killed outright.

A thread writing to a client that reads nothing waits for it (waitress holds at most
OUTPUT_BUFFER bytes a connection, then blocks the thread), and waitress times out only
connections with no request running: the kernel cuts a connection whose client has read
nothing for ``write_timeout`` seconds (TCP_USER_TIMEOUT, inherited from the listening
socket), which ends the download and frees its thread. Exports, the only responses that
large, stream from at most half the threads (web/app.py), so searches always have some.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import sys

import waitress
from flask import Flask

from indexer.parallel import die_with_parent
from web.app import warm_up

# Open connections one process keeps (waitress' default, 100, let 110 clients that trickle a
# header byte every few seconds stop it answering anyone). Connections are watched with
# poll(), not select(), which fails for good on a descriptor numbered 1,024 or more.
CONNECTION_LIMIT = 1000
# What one connection may have waiting to be sent before the thread writing it waits
# (waitress' default, 16 MB, let each of 1,000 slow clients hold that much).
OUTPUT_BUFFER = 1024 * 1024
SERVER_OPTIONS = {
    "ident": "naba",
    "connection_limit": CONNECTION_LIMIT,
    "asyncore_use_poll": True,
    "outbuf_high_watermark": OUTPUT_BUFFER,
}


def _allow_open_files() -> None:
    """Raise this process's limit of open files to the most it may have (each connection
    and each index file takes one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def listening_socket(host: str, port: int, write_timeout: float) -> socket.socket:
    """The socket to serve on, whose connections the kernel cuts when their client has
    read nothing for ``write_timeout`` seconds."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    listener = socket.create_server((host, port), family=family, backlog=1024)
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux
        milliseconds = max(1, round(write_timeout * 1000))
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, milliseconds)
    return listener


def serve(app: Flask, host: str, port: int, threads: int, workers: int = 1,
          write_timeout: float = 60.0) -> None:  # fmt: skip
    """Serve ``app`` on host:port until interrupted."""
    _allow_open_files()
    listener = listening_socket(host, port, write_timeout)
    if workers <= 1:
        warm_up(app)
        waitress.serve(app, sockets=[listener], threads=threads, **SERVER_OPTIONS)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker
            die_with_parent()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            warm_up(app)
            waitress.serve(app, sockets=[listener], threads=threads, **SERVER_OPTIONS)
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        os.waitpid(child, 0)
