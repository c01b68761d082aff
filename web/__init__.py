"""naba's web front end: ``create_app(config)`` returns the Flask application."""

from web.app import create_app

__all__ = ["create_app"]
