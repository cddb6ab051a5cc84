"""The router tree. Order matters: global commands first, the fallback last."""

from aiogram import Router

from handlers import errors, fallback, start


def build_root_router() -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.build_router(),
        start.build_router(),
        fallback.build_router(),
    )
    return root
