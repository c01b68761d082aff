"""The Flask application factory, security headers and error pages."""

from __future__ import annotations

import gc
import threading

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from naba.config import Config, load_config, searcher_options
from search import (
    DocumentNotFoundError,
    IndexUnavailableError,
    QueryError,
    Searcher,
    SearchError,
)
from web.links import url_for

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(config: Config | None = None) -> Flask:
    """The naba web app over ``config.index`` (settings loaded from config.toml if None)."""
    app = Flask(__name__)
    app.config["NABA"] = config or load_config()
    app.json.ensure_ascii = False
    app.jinja_env.globals["url_for"] = url_for  # the same links, built faster
    app.extensions["naba.searcher"] = _SearcherSlot()
    app.extensions["naba.exports"] = threading.BoundedSemaphore(export_streams(app))

    from web.views import bp

    app.register_blueprint(bp)
    app.after_request(_secure)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(DocumentNotFoundError, _not_found)
    app.register_error_handler(IndexUnavailableError, _index_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


class _SearcherSlot:
    """Opens the Searcher on first use, and again later if the index was missing at first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None

    def get(self, config: Config) -> Searcher:
        with self._lock:
            if self._searcher is None:
                self._searcher = Searcher(config.index, **searcher_options(config))
            return self._searcher


def warm_up(app: Flask) -> None:
    """Open the index and read what searches need before the first request, and again
    for each generation a build publishes, before the first request on it.

    Without a usable index this does nothing: the pages say what to do.
    """
    for name in app.jinja_env.list_templates():  # compiled now, not for the first page
        app.jinja_env.get_template(name)
    with app.app_context():
        try:
            searcher().warm()
            searcher().keep_warm()
        except SearchError as error:
            app.logger.warning("not warmed up: %s", error)
    # What the start made (modules, templates, the index's tables) lives as long as the
    # server: the collector's full passes skip it from now on.
    gc.collect()
    gc.freeze()


def export_streams(app: Flask) -> int:
    """How many exports one server process streams at once: half its threads, so that a
    download that waits on its client (a slow or stalled one) never takes them all."""
    return max(1, app.config["NABA"].threads // 2)


def export_slot() -> threading.BoundedSemaphore:
    """The exports streaming in this process: one is acquired for each, released when its
    response closes."""
    return current_app.extensions["naba.exports"]


def searcher() -> Searcher:
    """The app's Searcher; raises IndexUnavailableError while there is no usable index."""
    return current_app.extensions["naba.searcher"].get(current_app.config["NABA"])


def _secure(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def wants_text() -> bool:
    """Whether the request is for a file (an export or a feed), whose errors are text."""
    return request.path.endswith((".csv", ".jsonl", ".atom"))


def error_response(status: int, message: str, arabic: str = ""):
    """An error as JSON under /api/ (``error`` in English, ``error_ar`` in Arabic when known),
    as plain text for a file, else as the friendly error page (in Arabic when known)."""
    if wants_json():
        extra = {"error_ar": arabic} if arabic else {}
        return jsonify(error=message, status=status, **extra), status
    if wants_text():
        text = "\n".join(filter(None, (f"{status}: {message}", arabic))) + "\n"
        return Response(text, status, mimetype="text/plain"), status
    return render_template("error.html", status=status, message=arabic or message), status


def _query_error(error: QueryError):
    return error_response(400, str(error), error.arabic)


def _not_found(error: DocumentNotFoundError):
    return error_response(404, str(error), error.arabic)


def _index_unavailable(error: IndexUnavailableError):
    return error_response(503, str(error), error.arabic)


def _http_error(error: HTTPException):
    messages = {404: "هذه الصفحة غير موجودة.", 405: "طريقة الطلب غير مسموح بها."}
    return error_response(error.code or 500, messages.get(error.code, error.description or ""))


def _unexpected_error(error: Exception):
    current_app.logger.exception("unexpected error")
    return error_response(500, "حدث خطأ غير متوقع. أعد المحاولة بعد قليل.")
