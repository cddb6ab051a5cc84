"""Whether an exception means the database can't be reached (a failure of the server or
the network, not of a statement): the bot then says "try again in a minute" and logs one
line a minute, not a traceback per update."""

import logging
import time
import traceback

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATEs of a server that is gone or going: connection exceptions (class 08), and an
# administrator's shutdown, a crash, a server still starting (57P01-57P03).
_GONE = ("08", "57P01", "57P02", "57P03")
# Where a connection is made: a timeout there is the server not answering, while one
# anywhere else is a statement running too long (asyncpg's command_timeout).
_CONNECTING = ("connect", "_connect", "_connect_addr", "__connect", "_create_connection")


def unreachable(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):  # every connection busy: overloaded, try again
        return True
    if isinstance(exc, DBAPIError):
        state = str(getattr(exc.orig, "sqlstate", "") or "")
        return (
            exc.connection_invalidated  # the server went away mid-statement
            or state.startswith(_GONE)
            or isinstance(exc.orig, OSError)
            or "connection was closed" in str(exc.orig)
        )
    if isinstance(exc, OSError):  # refused, reset, a name that no longer resolves...
        frames = [(f.filename, f.name) for f in traceback.extract_tb(exc.__traceback__)]
        through_db = any("asyncpg" in path or "sqlalchemy" in path for path, _ in frames)
        if isinstance(exc, TimeoutError):
            return through_db and any(name in _CONNECTING for _, name in frames)
        return through_db
    return False


class OutageLog:
    """While a service (the database, Redis) is out of reach: one log line a minute with
    the updates turned away since the last, instead of a traceback per update; and a
    payment's update every time, with what identifies it (money moved)."""

    def __init__(self, log: logging.Logger, service: str, every: float = 60.0) -> None:
        self.log = log
        self.service = service  # "Redis at redis://…", "The database"
        self.every = every
        self._logged = float("-inf")
        self.missed = 0  # updates turned away since the last log line

    def turned_away(self, exc: BaseException, payment: tuple[int, str] | None = None) -> None:
        """One update turned away; `payment`: its id and contents when money moved."""
        self.missed += 1
        if payment is not None:
            self.log.error(
                "%s is unreachable: payment update %s was not handled (%s)",
                self.service,
                *payment,
            )
        now = time.monotonic()
        if now - self._logged >= self.every:
            self.log.error(
                "%s is unreachable (%s): %s update(s) answered 'try again later' since the "
                "last report",
                self.service,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                self.missed,
            )
            self._logged, self.missed = now, 0
