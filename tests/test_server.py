"""The real server under load it must survive: many segments, bursts, slow clients."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
