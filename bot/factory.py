"""Bot and dispatcher, built from settings. Nothing is created at import time."""

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.i18n import UserI18nMiddleware, create_i18n
from bot.metrics import Metrics
from bot.middlewares.callback import AnswerAfterCommit
from bot.middlewares.context import ContextMiddleware
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.dedupe import DbDedupeMiddleware
from bot.middlewares.gate import RedisGateMiddleware
from bot.middlewares.isolation import IsolationMiddleware, LocalIsolation
from bot.middlewares.outage import RedisOutageMiddleware
from bot.middlewares.readahead import ReadAheadMiddleware
from bot.middlewares.restock import WakeRestockSender
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.middlewares.user import UserMiddleware
from bot.session import ShopSession
from bot.storage import SessionRedisStorage, SqlStorage
from db.engine import describe_url
from handlers import build_routers, read_ahead
from jobs.broadcaster import Broadcaster
from jobs.lease import create_leases
from jobs.notices import NoticeSender
from jobs.reservations import ReservationSweeper
from jobs.restock import RestockSender
from screens.base import Shown


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = ShopSession()
        if settings.telegram_api_url:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_url)
    bot = Bot(
        token=settings.require_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    bot.shown = Shown()  # type: ignore[attr-defined]  # what show() last put in each message
    return bot


def create_storage(settings: Settings, pool: async_sessionmaker[AsyncSession]) -> BaseStorage:
    if settings.redis_url:
        key_builder = DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        # Timeouts: a Redis that hangs fails an update in seconds rather than never.
        timeouts = {"socket_timeout": 5, "socket_connect_timeout": 5}
        return SessionRedisStorage.from_url(
            settings.redis_url, connection_kwargs=timeouts, key_builder=key_builder
        )
    return SqlStorage(pool)


def shared_redis(storage: BaseStorage) -> tuple[Redis | None, str]:
    """The Redis client the dialog state lives in (shared by workers), and the key prefix
    next to which the bot keeps its other keys; (None, "") without Redis."""
    redis = getattr(storage, "redis", None)
    if redis is None:
        return None, ""
    return redis, getattr(getattr(storage, "key_builder", None), "prefix", "fsm")


def create_dispatcher(
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    storage: BaseStorage,
    i18n: I18n | None = None,
    *,
    exactly_once: bool = False,
    metrics: Metrics | None = None,
    answer_in_reply: bool = False,
) -> Dispatcher:
    """`exactly_once`: an update delivered twice is handled once (webhook mode);
    `metrics`: count updates for /metrics; `answer_in_reply`: a button's answer goes in
    the webhook's reply (webhook mode)."""
    i18n = i18n or create_i18n(settings.default_locale)
    redis, prefix = shared_redis(storage)
    # FSM is wired by hand so it runs after the session opens: the SQL storage then
    # shares the update's transaction. Its lock is taken earlier still, by the Redis
    # gate or IsolationMiddleware, so the FSM middleware itself locks nothing.
    dp = Dispatcher(
        storage=storage,
        events_isolation=DisabledEventIsolation(),
        disable_fsm=True,
        settings=settings,
        i18n=i18n,
        session_pool=session_pool,  # what start-up reads outside any update
    )
    # "Only one worker does this" (jobs/lease.py), for the broadcaster and other jobs.
    leases = dp["leases"] = create_leases(
        session_pool.kw["bind"], redis, prefix, settings.broadcast_lease
    )
    # The background sender of broadcasts; handlers get it as `broadcaster`. The
    # settings are its `Pace` (jobs/ does not import the shell).
    dp["broadcaster"] = Broadcaster(session_pool, settings, i18n, leases=leases)
    # Cancels orders whose reservation ran out; started next to the broadcaster.
    dp["reservations"] = ReservationSweeper(session_pool, i18n)
    # Back-in-stock alerts, through the broadcaster's rate limit; handlers get `restock`.
    dp["restock"] = RestockSender(session_pool, dp["broadcaster"].limiter, i18n)
    # What the web API owes users (a review to moderate, a new role): it can't send.
    dp["notices"] = NoticeSender(session_pool, dp["broadcaster"].limiter, i18n)
    if metrics is not None:  # first: the whole handling time, and every error
        dp.update.outer_middleware(metrics.middleware)
        dp["broadcaster"].observe = metrics.observe_broadcast
    throttle = (settings.throttle_rate, settings.throttle_burst)
    if redis is not None:
        url = describe_url(settings.redis_url) if settings.redis_url else "REDIS_URL"
        dp.update.outer_middleware(RedisOutageMiddleware(i18n, url))
        # Exactly-once marks, throttling, the per-user lock and the dialog state, in one
        # round trip to Redis before the update and one after (the lock is shared by
        # every worker).
        gate = RedisGateMiddleware(
            storage,  # type: ignore[arg-type]  # shared_redis found its client
            dp.fsm,
            i18n,
            prefix,
            exactly_once=exactly_once,
            throttle=throttle if settings.throttle_rate > 0 else None,
        )
        dp.update.outer_middleware(gate)
    else:
        if settings.throttle_rate > 0:
            dp.update.outer_middleware(ThrottlingMiddleware(*throttle, i18n))
        # One update at a time per user and chat, in this process.
        isolation = LocalIsolation()
        dp.shutdown.register(isolation.close)
        dp.update.outer_middleware(IsolationMiddleware(isolation, dp.fsm))
    # A button's answer goes out once the update's transaction has committed.
    dp.update.outer_middleware(AnswerAfterCommit(in_reply=answer_in_reply))
    dp.update.outer_middleware(WakeRestockSender(dp["restock"]))
    dp.update.outer_middleware(DbSessionMiddleware(session_pool))
    if exactly_once:  # in the update's transaction (behind Redis's marks, if any)
        dp.update.outer_middleware(DbDedupeMiddleware(backstop=redis is not None))
    dp.update.outer_middleware(ReadAheadMiddleware(read_ahead(settings)))
    dp.update.outer_middleware(UserMiddleware(settings.admin_ids, i18n))
    dp.update.outer_middleware(UserI18nMiddleware(i18n))
    dp.update.outer_middleware(ContextMiddleware())
    dp.update.outer_middleware(dp.fsm)
    dp.include_routers(*build_routers())
    return dp


# The background jobs every process with a bot runs (polling, each webhook worker, the
# playground): each round claims its rows, so no order, alert or notice is handled twice.
JOBS = ("reservations", "restock", "notices")


def start_jobs(dp: Dispatcher, bot: Bot) -> None:
    for name in JOBS:
        dp[name].start(bot)


async def stop_jobs(dp: Dispatcher) -> None:
    for name in JOBS:
        await dp[name].stop()
