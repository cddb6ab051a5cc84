"""Whether an exception means the database can't be reached (a failure of the server or
the network, not of a statement): the bot then says "try again in a minute" and logs one
line a minute, not a traceback per update."""

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Refused, reset or timed-out connections reach us as the OS's errors (asyncpg connects
# with the event loop's sockets) or wrapped by SQLAlchemy.
_NETWORK = (ConnectionError, TimeoutError, PoolTimeout)


def unreachable(exc: BaseException) -> bool:
    if isinstance(exc, _NETWORK):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:  # the server went away mid-statement
            return True
        return isinstance(exc.orig, _NETWORK) or "connection was closed" in str(exc.orig)
    return False
