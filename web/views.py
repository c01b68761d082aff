"""Views: read the request, call ``search``, render the page, its JSON twin or an export.

Errors from ``search`` (bad query, unknown article, no usable index) become 400, 404 and
503 answers in web.app, as a page or as JSON.
"""

from __future__ import annotations

import threading

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
)

from search import QueryError
from search.distinctive import MIN_SAMPLE
from search.exporting import comparison_csv, csv_chunks, json_chunks, jsonl_chunks
from search.similar import SIMILAR_ARTICLES
from web.app import error_response, export_slot, searcher
from web.chart import BASELINE, HEIGHT, INTERVAL_NAMES, WIDTH, bars, lines, ticks
from web.feed import FEED_ENTRIES, atom_feed
from web.links import url_for
from web.params import SearchArgs, whole_number

bp = Blueprint("naba", __name__)
MAX_SIMILAR = 50


def _args() -> SearchArgs:
    return SearchArgs.read(request.args, current_app.config["NABA"].per_page)


def _search(args: SearchArgs):
    return searcher().search(
        args.query, page=args.page, per_page=args.per_page, interval=args.interval,
        share=args.share, group=args.group or None, story=args.story, **args.filters(),
    )  # fmt: skip


@bp.get("/")
def index():
    """The search page: a form, and results with facets, chart and paging when q is given."""
    args = _args()
    page: dict = {"args": args, "query": args.query, "message": None}
    if not args.query:
        return render_template("search.html", **page, results=None)
    try:
        results = _search(args)
    except QueryError as error:  # the page explains it beside the search box
        page["message"] = error.arabic
        return render_template("search.html", **page, results=None), 400
    shares = results.attention.buckets if results.attention else None
    laid = bars(results.series, shares)
    chart = {
        "bars": laid, "ticks": ticks(laid, results.series.interval), "width": WIDTH,
        "height": HEIGHT, "baseline": BASELINE, "share": shares is not None,
    }  # fmt: skip
    interval_name = INTERVAL_NAMES.get(results.series.interval, "")
    return render_template(
        "search.html",
        **page,
        results=results,
        source_groups=list(searcher().source_directory.groups.values()),
        chart=chart,
        interval_name=interval_name,
    )


@bp.get("/api/search")
def api_search():
    """JSON twin of the search page: same parameters, same hits, facets, series, suggestion."""
    args = _args()
    if not args.query:
        return error_response(400, "the q parameter is required")
    return jsonify(_search(args).to_dict())


@bp.app_template_global()
def source_name(source: str) -> str:
    """A source's display name, or its code when it has none."""
    return searcher().source_directory.name_of(source) or source


@bp.app_template_filter("percent")
def percent(share: float) -> str:
    """A share as an Arabic percentage: 0.0123 → 1.23٪ (three significant digits)."""
    value = share * 100
    return f"{value:.3g}٪" if value < 100 else "100٪"


@bp.app_template_global()
def document_url(doc_id: str, **params: object) -> str:
    """The link to an article's page: /doc/ID, or /doc?id=ID for an id a path would change
    (one that starts or ends with "/" or holds "//": the router merges empty parts)."""
    if doc_id.startswith("/") or doc_id.endswith("/") or "//" in doc_id:
        return url_for("naba.document", id=doc_id, **params)
    return url_for("naba.document", doc_id=doc_id, **params)


@bp.get("/doc", defaults={"doc_id": None})
@bp.get("/doc/<path:doc_id>")
def document(doc_id: str | None):
    """One whole article with the query's matches marked, and a way back to the results."""
    args = _args()
    doc = searcher().document(_doc_id(doc_id), args.query, aliases=args.aliases)
    similar = searcher().more_like_this(doc.id)
    return render_template("document.html", doc=doc, args=args, query=args.query,
                           similar=similar)  # fmt: skip


@bp.get("/api/doc", defaults={"doc_id": None})
@bp.get("/api/doc/<path:doc_id>")
def api_document(doc_id: str | None):
    """JSON twin of the document page (also as /api/doc?id=ID)."""
    args = _args()
    found = searcher().document(_doc_id(doc_id), args.query, aliases=args.aliases)
    return jsonify(found.to_dict())


@bp.get("/api/similar", defaults={"doc_id": None})
@bp.get("/api/similar/<path:doc_id>")
def api_similar(doc_id: str | None):
    """The articles most like one article (also as /api/similar?id=ID): ``words``, ``hits``."""
    count = whole_number(request.args.get("count"))
    count = SIMILAR_ARTICLES if count is None else min(max(count, 1), MAX_SIMILAR)
    return jsonify(searcher().more_like_this(_doc_id(doc_id), count).to_dict())


def _doc_id(from_path: str | None) -> str:
    """The article id from the path, or from the id parameter."""
    return from_path if from_path is not None else request.args.get("id", "")


@bp.get("/words")
def words():
    """The distinctive words of the search's matches, each a link that narrows it."""
    args = _args()
    if not args.query:
        return render_template("words.html", args=args, query="", found=None)
    found = searcher().distinctive_words(args.query, **_word_filters(args))
    return render_template("words.html", args=args, query=args.query, found=found,
                           min_sample=MIN_SAMPLE)  # fmt: skip


@bp.get("/api/words")
def api_words():
    """JSON twin of the distinctive words page."""
    args = _args()
    if not args.query:
        return error_response(400, "the q parameter is required", "اكتب ما تبحث عنه في q")
    return jsonify(searcher().distinctive_words(args.query, **_word_filters(args)).to_dict())


def _word_filters(args: SearchArgs) -> dict:
    filters = args.filters() | {"story": args.story}
    filters.pop("sort")  # the sample is always the best-ranked matches
    return filters


@bp.get("/compare")
def compare():
    """Several searches on one chart, with their source counts side by side."""
    args = _args()
    queries = [q for q in request.args.getlist("q") if q.strip()]
    page = {"args": args, "queries": queries, "query": "", "message": None}
    if not queries:
        return render_template("compare.html", **page, comparison=None)
    try:
        comparison = _compare(args, queries)
    except QueryError as error:
        page["message"] = error.arabic
        return render_template("compare.html", **page, comparison=None), 400
    values = [p.shares if args.share else p.counts for p in comparison.periods]
    chart = {"lines": lines(values), "width": WIDTH, "height": HEIGHT, "baseline": BASELINE}
    return render_template("compare.html", **page, comparison=comparison, chart=chart,
                           interval_name=INTERVAL_NAMES.get(comparison.interval, ""))  # fmt: skip


@bp.get("/api/compare")
def api_compare():
    """JSON twin of the comparison page."""
    args = _args()
    return jsonify(_compare(args, request.args.getlist("q")).to_dict())


@bp.get("/compare.csv")
def compare_csv():
    """The compared series as CSV: a row per period, a column per query."""
    args = _args()
    comparison = _compare(args, request.args.getlist("q"))
    response = Response(comparison_csv(comparison, args.share), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="naba-comparison.csv"'
    return response


@bp.app_template_global()
def compare_link(endpoint: str, args: SearchArgs, queries: list[str], **changes: object) -> str:
    """A link to a comparison of ``queries`` (q repeated) with the page's filters."""
    params = args.url(page=1, **changes)
    params["q"] = list(queries)
    return url_for(endpoint, **params)


def _compare(args: SearchArgs, queries: list[str]):
    filters = args.filters()
    filters.pop("sort")
    return searcher().compare(queries, interval=args.interval, share=args.share,
                              group=args.group or None, **filters)  # fmt: skip


@bp.get("/feed.atom")
def feed():
    """An Atom feed of the search, newest first (the page's parameters, its order aside)."""
    args = _args()
    if not args.query:
        return error_response(400, "the q parameter is required", "اكتب ما تبحث عنه في q")
    filters = args.filters() | {"sort": "newest"}
    results = searcher().search(args.query, per_page=FEED_ENTRIES, interval=args.interval,
                                group=args.group or None, story=args.story,
                                **filters)  # fmt: skip
    params = args.url(page=1, per_page=args.default_per_page, sort="relevance")
    text = atom_feed(
        results,
        feed_url=url_for("naba.feed", _external=True, **params),
        page_url=url_for("naba.index", _external=True, **params, sort="newest"),
        document_url=lambda doc_id: document_url(doc_id, _external=True),
    )
    return Response(text, mimetype="application/atom+xml")


@bp.get("/export.csv", endpoint="export_csv")
@bp.get("/export.jsonl", endpoint="export_jsonl")
@bp.get("/export.json", endpoint="export_json")
def export():
    """Every counted hit of the search (or the first ``limit``), streamed as CSV, JSON Lines
    or JSON, with the article text when ``body=1``; the file says what it holds."""
    args = _args()
    if not args.query:
        return error_response(400, "the q parameter is required", "اكتب ما تبحث عنه في q")
    limit = whole_number(request.args.get("limit"))
    if limit is None and request.args.get("limit", "").strip():
        return error_response(400, "limit must be a whole number", "limit عدد صحيح")
    body = request.args.get("body", "") in ("1", "on", "true", "yes")
    slot = export_slot()
    if not slot.acquire(blocking=False):
        return _busy()
    try:
        stream = searcher().export_all(args.query, limit=limit, body=body, story=args.story,
                                       **args.filters())  # fmt: skip
    except BaseException:
        slot.release()
        raise
    kind = request.path.rsplit(".", 1)[1]
    chunks, mimetype = EXPORT_FORMATS[kind]
    held = _Held(stream, slot)
    response = Response(stream_with_context(held.sent(chunks(stream))), mimetype=mimetype)
    response.call_on_close(held.release)  # cut off, or never begun
    response.headers["Content-Disposition"] = f'attachment; filename="naba-export.{kind}"'
    response.headers["X-Naba-Export-Rows"] = str(stream.header.rows)
    response.headers["X-Naba-Export-Total"] = str(stream.header.total)
    return response


EXPORT_FORMATS = {
    "csv": (csv_chunks, "text/csv"),  # Flask adds "; charset=utf-8"
    "jsonl": (jsonl_chunks, "application/jsonl"),
    "json": (json_chunks, "application/json"),
}


EXPORTS_RETRY_AFTER = 30  # seconds a client turned away is told to wait


class _Held:
    """What an export holds, the index generation and a streaming slot, let go once: when
    its last chunk is sent, or when its response is closed (a download cut off or never
    begun)."""

    def __init__(self, stream, slot: threading.BoundedSemaphore) -> None:
        self._stream = stream
        self._slot = slot
        self._lock = threading.Lock()
        self._held = True

    def sent(self, chunks):
        yield from chunks
        self.release()

    def release(self) -> None:
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._stream.close()
            self._slot.release()


def _busy():
    """The answer to an export asked while this process streams as many as it may."""
    response, status = error_response(
        503,
        "this server is sending as many exports as it can at once; try again in a minute",
        "يرسل الخادم الآن أكثر ما يستطيع من التنزيلات في وقت واحد؛ أعد المحاولة بعد دقيقة",
    )
    response.headers["Retry-After"] = str(EXPORTS_RETRY_AFTER)
    return response, status
