"""Views: read the request, call ``search``, render the page or its JSON twin."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from search import IndexUnavailableError, QueryError
from search.searcher import MAX_PAGE, MAX_PER_PAGE
from web.app import error_response, searcher

bp = Blueprint("naba", __name__)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer parameter clamped to [low, high]; junk falls back to the default."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def _search_args() -> tuple[str, int, int, bool]:
    config = current_app.config["NABA"]
    query = request.args.get("q", "").strip()
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg("per_page", config.per_page, 1, MAX_PER_PAGE)
    aliases = request.args.get("aliases", "1") != "0"
    return query, page, per_page, aliases


@bp.get("/")
def index():
    """The search page: a form, and results when a query was given."""
    query, page, per_page, aliases = _search_args()
    if not query:
        return render_template("search.html", query="", results=None, message=None)
    try:
        results = searcher().search(query, page=page, per_page=per_page, aliases=aliases)
    except QueryError as error:
        return render_template("search.html", query=query, results=None, message=str(error)), 400
    except IndexUnavailableError as error:
        return error_response(503, str(error))
    return render_template(
        "search.html", query=query, results=results, message=None, aliases=aliases
    )


@bp.get("/api/search")
def api_search():
    """JSON twin of the search page: same parameters (q, page, per_page, aliases)."""
    query, page, per_page, aliases = _search_args()
    if not query:
        return error_response(400, "the q parameter is required")
    try:
        results = searcher().search(query, page=page, per_page=per_page, aliases=aliases)
    except QueryError as error:
        return error_response(400, str(error))
    except IndexUnavailableError as error:
        return error_response(503, str(error))
    return jsonify(results.to_dict())
