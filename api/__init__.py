"""The shop's web API (FastAPI): the bot's catalog, reviews, roles and orders over HTTP,
on the same services and database. `create_app` builds it; `python -m bot api` serves it."""

from api.app import create_app
from api.config import ApiConfig

__all__ = ["ApiConfig", "create_app"]
