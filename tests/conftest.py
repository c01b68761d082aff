"""Shared fixtures: a small Arabic news corpus written here, and a real index built from it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import build_index

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ID = "000_28c20a037e43265e"
SHARED = ROOT.parent / "shared"

ARTICLES = [
    {
        "id": "isis-finance-1",
        "date": "2018-03-02",
        "source": "AlArabiya",
        "category": "politics",
        "url": "https://example.org/isis-finance-1",
        "title": "التحالف يلاحق مصادر تمويل داعش في العراق",
        "body": "قال مسؤولون إن التحالف الدولي كثّف ملاحقة شبكات التمويل التي يعتمد عليها "
        "تنظيم داعش، وإن وتمويلها يمر عبر شركات صرافة في العراق وسوريا.",
    },
    {
        "id": "isis-finance-2",
        "date": "2018-05-14",
        "source": "BBC",
        "category": "politics",
        "url": "https://example.org/isis-finance-2",
        "title": "عقوبات أمريكية على ممولي تنظيم الدولة",
        "body": "فرضت وزارة الخزانة الأمريكية عقوبات على أفراد متهمين بتمويل تنظيم "
        "الدولة الإسلامية، في إطار جهود قطع موارد التنظيم المالية.",
    },
    {
        "id": "ghouta-1",
        "date": "2018-02-20",
        "source": "France24",
        "category": "middleeast",
        "url": "https://example.org/ghouta-1",
        "title": "قصف عنيف على الغوطة الشرقية",
        "body": "تعرضت مدن الغُوطَة الشرقية لقصفٍ عنيف بالطائرات والمدفعية، وقالت مصادر طبية "
        "إن عشرات المدنيين قُتلوا خلال ٢٤ ساعة.",
    },
    {
        "id": "ghouta-2",
        "date": "2018-03-10",
        "source": "SkyNews",
        "category": "middleeast",
        "title": "نزوح آلاف المدنيين من الغوطة",
        "body": "نزح آلاف المدنيين من بلدات الغوطة بعد أسابيع من القصف، في حين دخلت قافلة "
        "مساعدات إنسانية إلى دوما.",
    },
    {
        "id": "houthi-1",
        "date": "2018-06-01",
        "source": "CNN",
        "category": "middleeast",
        "title": "الحوثيون يطلقون صاروخاً باتجاه جازان",
        "body": "أعلن التحالف اعتراض صاروخ باليستي أطلقه الحوثيون من صعدة باتجاه مدينة "
        "جازان، دون وقوع إصابات. وقالت جماعة أنصار الله إنها استهدفت مطاراً.",
    },
    {
        "id": "fighters-1",
        "date": "2018-07-07",
        "source": "AlArabiya",
        "category": "politics",
        "title": "مصير المقاتلين الأجانب في سجون قسد",
        "body": "تحتجز قوات سوريا الديمقراطية مئات المقاتلين الأجانب، ويطالب مسؤولون "
        "بإعادة مقاتلون إلى بلدانهم لمحاكمتهم بتهم الإرهاب.",
    },
    {
        "id": "diacritics-1",
        "date": "2018-08-08",
        "source": "BBC",
        "category": "culture",
        "title": "المُؤْتَمَرُ الدَّوْلِيُّ لِلسَّلَامِ",
        "body": "افتُتِح المؤتمـــــر الدولى للسلام بمشاركة وفود من ٣٠ دولة، "
        "وناقش المشاركون مستقبل المنطقة.",
    },
    {
        "id": "hostile-1",
        "date": "2018-09-09",
        "source": "Unknown",
        "category": "misc",
        "url": "javascript:alert(1)",
        "title": "<script>alert('x')</script> عنوان خبيث",
        "body": 'نص فيه "><img src=x onerror=alert(1)> ومحاولة حقن \u202e مع كلمة داعش.',
    },
]


def write_corpus(folder: Path) -> Path:
    """The fixture corpus as a JSONL file plus a folder of .txt articles."""
    folder.mkdir(parents=True, exist_ok=True)
    jsonl = folder / "news.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps(article, ensure_ascii=False) for article in ARTICLES) + "\n", "utf-8"
    )
    shutil.copytree(SEEDS, folder / "seeds")
    return folder


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, corpus_dir) -> Path:
    """A read-only index of the fixture corpus and the seed article, built by the real builder."""
    path = tmp_path_factory.mktemp("index") / "index"
    build_index([corpus_dir], path)
    return path


BACKENDS = ("whoosh", "xapian")


def require_xapian() -> None:
    """Skip the test when Xapian's Python bindings or tools are absent (fail in CI)."""
    import importlib.util

    missing = [
        what
        for what, present in (
            ("the xapian module", importlib.util.find_spec("xapian") is not None),
            ("xapian-tcpsrv", shutil.which("xapian-tcpsrv") is not None),
        )
        if not present
    ]
    if missing:
        message = f"the Xapian backend needs {' and '.join(missing)}"
        if os.environ.get("NABA_REQUIRE_XAPIAN"):
            pytest.fail(message + " (pip install -e '.[dev]'; apt-get install xapian-tools)")
        pytest.skip(message)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """``records`` as a JSONL file at ``path``, one a line, in UTF-8."""
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", "utf-8")
    return path


def index_of(articles: list[dict], backend: str, tmp_path_factory, name: str) -> Path:
    """A real index on ``backend`` of ``articles``, written as one JSONL file first."""
    if backend == "xapian":
        require_xapian()
    folder = tmp_path_factory.mktemp(f"{name}-{backend}")
    source = write_jsonl(folder / "articles.jsonl", articles)
    build_index([source], folder / "index", backend=backend, processes=1)
    return folder / "index"


@pytest.fixture(scope="session")
def xapian_index_dir(tmp_path_factory, corpus_dir) -> Path:
    """The fixture corpus in a Xapian index of two shards, built by the real builder."""
    require_xapian()
    path = tmp_path_factory.mktemp("xapian") / "index"
    build_index([corpus_dir], path, backend="xapian", shards=2)
    return path


@pytest.fixture(scope="session", params=BACKENDS)
def backend_index_dir(request) -> Path:
    """The fixture index on each backend in turn: the same behaviour is asked of both."""
    return request.getfixturevalue("index_dir" if request.param == "whoosh" else "xapian_index_dir")


@pytest.fixture(scope="session")
def searcher(backend_index_dir):
    from search import Searcher

    with Searcher(backend_index_dir) as opened:
        yield opened


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test when the shared data is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def naba_server(
    index_dir: Path, wait: float = 20.0, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``naba serve`` process on a free local port: yields its base URL and process.
    ``env`` adds settings (NABA_*)."""
    port = free_port()
    env = {**os.environ, "NABA_INDEX": str(index_dir), **(env or {})}
    server = subprocess.Popen(
        [sys.executable, "-c", "from naba.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"naba serve did not answer: {server.communicate()[0]}")
                time.sleep(0.2)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
