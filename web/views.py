"""Views: read the request, call ``search``, render the page, its JSON twin or an export.

Errors from ``search`` (bad query, unknown article, no usable index) become 400, 404 and
503 answers in web.app, as a page or as JSON.
"""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from search import QueryError
from search.requests import EXPORT_LIMIT
from web.app import error_response, searcher
from web.chart import BASELINE, HEIGHT, INTERVAL_NAMES, WIDTH, bars
from web.params import SearchArgs

bp = Blueprint("naba", __name__)

EXPORT_COLUMNS = ("rank", "id", "date", "source", "title", "url", "author", "category", "score")


def _args() -> SearchArgs:
    return SearchArgs.read(request.args, current_app.config["NABA"].per_page)


def _search(args: SearchArgs):
    return searcher().search(
        args.query, page=args.page, per_page=args.per_page, interval=args.interval,
        **args.filters(),
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
    chart = {"bars": bars(results.series), "width": WIDTH, "height": HEIGHT, "baseline": BASELINE}
    interval_name = INTERVAL_NAMES.get(results.series.interval, "")
    return render_template(
        "search.html",
        **page,
        results=results,
        chart=chart,
        interval_name=interval_name,
        export_limit=EXPORT_LIMIT,
    )


@bp.get("/api/search")
def api_search():
    """JSON twin of the search page: same parameters, same hits, facets, series, suggestion."""
    args = _args()
    if not args.query:
        return error_response(400, "the q parameter is required")
    return jsonify(_search(args).to_dict())


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
    return render_template("document.html", doc=doc, args=args, query=args.query)


@bp.get("/api/doc", defaults={"doc_id": None})
@bp.get("/api/doc/<path:doc_id>")
def api_document(doc_id: str | None):
    """JSON twin of the document page (also as /api/doc?id=ID)."""
    args = _args()
    found = searcher().document(_doc_id(doc_id), args.query, aliases=args.aliases)
    return jsonify(found.to_dict())


def _doc_id(from_path: str | None) -> str:
    """The article id from the path, or from the id parameter."""
    return from_path if from_path is not None else request.args.get("id", "")


@bp.get("/export.csv", endpoint="export_csv")
@bp.get("/export.json", endpoint="export_json")
def export():
    """Every hit of the search (up to ``limit``, at most EXPORT_LIMIT) as CSV or JSON."""
    args = _args()
    as_csv = request.path.endswith(".csv")
    if not args.query:
        return error_response(400, "the q parameter is required")
    try:
        limit = int(request.args.get("limit", EXPORT_LIMIT))
    except ValueError:
        return error_response(400, "limit must be a whole number")
    exported = searcher().export(args.query, limit=limit, **args.filters())
    if as_csv:
        return _download(_csv(exported.hits), "text/csv", "naba-export.csv")  # + its charset
    text = json.dumps(exported.to_dict(), ensure_ascii=False, indent=1)
    return _download(text, "application/json", "naba-export.json")


def _download(text: str, mimetype: str, filename: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(hits) -> str:
    """UTF-8 CSV with a byte-order mark (so spreadsheets read the Arabic right)."""
    stream = io.StringIO()
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow(EXPORT_COLUMNS)
    for rank, hit in enumerate(hits, 1):
        row = [rank, hit.id, hit.date, hit.source, hit.title, hit.url, hit.author, hit.category]
        writer.writerow([_cell(value) for value in row] + [hit.score])
    return stream.getvalue()


def _cell(value: object) -> object:
    """Defuse spreadsheet formulas: a text cell starting with = + - @ is read as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
