"""The real server under load it must survive: many segments, bursts, slow clients."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from indexer import build_index, update_index
from tests.conftest import naba_server

QUERIES = ["داعش", "الغوطة", "الحوثيون", "قصف الغوطة", "هدنة", "تمويل داعش"]


def _open_files(pid: int) -> int:
    """Descriptors held by a process and all its descendants."""
    total, queue = 0, [pid]
    while queue:
        current = queue.pop()
        total += len(list(Path(f"/proc/{current}/fd").iterdir()))
        for task in Path(f"/proc/{current}/task").iterdir():
            queue += [int(child) for child in (task / "children").read_text().split()]
    return total


def _search(base: str, query: str) -> int:
    url = f"{base}/api/search?q={urllib.parse.quote(query)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)["total"]


def test_a_burst_of_searches_over_many_updated_segments_keeps_the_server_up(tmp_path, corpus_dir):
    index = tmp_path / "index"
    build_index([corpus_dir], index)
    for number in range(25):
        source = tmp_path / f"u{number}.jsonl"
        article = {"id": f"u{number}", "title": "هدنة", "body": f"هدنة في الغوطة رقم {number}"}
        source.write_text(json.dumps(article, ensure_ascii=False), "utf-8")
        update_index([source], index)
    with naba_server(index) as (base, server):
        with ThreadPoolExecutor(30) as pool:
            totals = list(pool.map(lambda n: _search(base, QUERIES[n % len(QUERIES)]), range(60)))
        assert server.poll() is None
        assert totals[QUERIES.index("هدنة")] == 25
        assert _open_files(server.pid) < 300  # one reader per generation, segments merged


def test_slow_clients_do_not_stop_the_server_answering_others(index_dir):
    with naba_server(index_dir) as (base, server):
        port = int(base.rsplit(":", 1)[1])
        slow = []
        try:
            for _ in range(250):  # more than waitress' default of 100 per process, twice over
                client = socket.create_connection(("127.0.0.1", port), timeout=5)
                client.sendall(b"GET /?q=")  # a request that never ends
                slow.append(client)
            started = time.monotonic()
            assert _search(base, "داعش") > 0
            assert time.monotonic() - started < 5
            assert server.poll() is None
        finally:
            for client in slow:
                client.close()


EXPORT_QUERY = urllib.parse.quote("تقرير")


@pytest.fixture(scope="module")
def long_articles_index(tmp_path_factory) -> Path:
    """100 articles of about 240 KB each (few words, set far apart by a 4-byte character,
    so the build is quick): an export of them with their text is 24 MB, more than the
    kernel and the server may hold for a client that reads nothing."""
    from tests.conftest import ARTICLES, write_jsonl

    words = " ".join(article["body"] for article in ARTICLES).split()
    apart = " " + "\U0001f4f0" * 1000 + " "
    articles = [
        {"id": f"long-{number}", "title": f"تقرير مطول رقم {number}",
         "body": apart.join(words[(number + k) % len(words)] for k in range(60))}
        for number in range(100)
    ]  # fmt: skip
    folder = tmp_path_factory.mktemp("long")
    build_index([write_jsonl(folder / "long.jsonl", articles)], folder / "index", processes=1)
    return folder / "index"


def _stalled_export(port: int) -> socket.socket:
    """A client that asks for a large export with the articles' text and reads nothing."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    client.sendall(f"GET /export.csv?q={EXPORT_QUERY}&body=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return client


def _get(url: str, timeout: float = 10) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_clients_that_never_read_large_exports_do_not_stop_searches(long_articles_index):
    env = {"NABA_WORKERS": "2", "NABA_THREADS": "8"}
    with naba_server(long_articles_index, env=env) as (base, server):
        port = int(base.rsplit(":", 1)[1])
        stalled = [_stalled_export(port) for _ in range(40)]
        try:
            # Each process streams 4 exports at most (half its threads): once those wait
            # on their clients, an export asked for is turned away at once...
            deadline = time.monotonic() + 30
            while True:
                status, headers, body = _get(f"{base}/export.csv?q={EXPORT_QUERY}", timeout=15)
                if status == 503 or time.monotonic() > deadline:
                    break
            assert status == 503 and headers["Retry-After"] == "30"
            assert "try again" in body.decode("utf-8")
            # ... and searches are answered at once, again and again.
            for query in QUERIES:
                started = time.monotonic()
                assert _search(base, query) >= 0
                assert time.monotonic() - started < 5, query
            assert server.poll() is None
        finally:
            for client in stalled:
                client.close()


def test_a_client_that_stops_reading_is_cut_off_after_the_write_timeout(long_articles_index):
    # One thread: the stalled download holds it until the kernel cuts the connection.
    env = {"NABA_WORKERS": "1", "NABA_THREADS": "1", "NABA_WRITE_TIMEOUT": "2"}
    with naba_server(long_articles_index, env=env) as (base, _server):
        stalled = _stalled_export(int(base.rsplit(":", 1)[1]))
        try:
            started = time.monotonic()
            url = f"{base}/api/search?q={EXPORT_QUERY}&group=articles"
            status, _, body = _get(url, timeout=30)
            assert status == 200 and json.loads(body)["total"] == 100
            assert time.monotonic() - started < 20  # the write timeout, and the stream's end
            received = 0  # what it reads now, when it starts reading again
            stalled.settimeout(5)
            try:
                while piece := stalled.recv(1 << 20):
                    received += len(piece)
            except OSError:  # reset, or nothing more
                pass
            assert received < 20_000_000  # cut off: never the whole 24 MB
        finally:
            stalled.close()
