"""With Redis, an update goes in and out through one script each.

Going in (`_ENTER`), atomically: the exactly-once mark, the user's throttling bucket,
the user's lock, and the dialog state and data read under that lock. Going out
(`_LEAVE`): the lock released and the mark set to "done" (or forgotten, when handling
failed); after a commit the database refused (NotSaved: "nothing has changed"), the
dialog put back first as the update found it, as a rollback does with the SQL
storage. A catalog press went to Redis six times (mark, bucket, lock, dialog state,
unlock, done mark), one round trip after another; now twice.

Exactly once: Telegram delivers a webhook update again when the answer was slow or
lost; the second delivery must do nothing. An update counts as handled once its
handling returned (its transaction committed). One whose handling failed (an exception
got out) is forgotten, so a new delivery handles it. A delivery that arrives while
another worker handles the same update waits for it: then does nothing (handled) or
handles it (that one failed). A repeated delivery costs the user no throttling tokens.

The lock is aiogram's `RedisEventIsolation`'s (same key, a random token as value, a
60-second expiry that frees it if its worker died), so the shop's behaviour is the same.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n
from redis.exceptions import RedisError

from bot.middlewares.dedupe import DONE_TTL
from bot.middlewares.throttling import is_payment, refuse
from bot.storage import HeldLock, as_text, held_lock
from db.engine import committed
from services.errors import DomainError, NotSaved

log = logging.getLogger(__name__)

# A worker killed mid-update leaves its mark "busy": after this long it no longer counts
# and a new delivery handles the update. If the worker had committed (killed between the
# commit and the "done" mark), the database's own mark stops the second handling.
BUSY_TTL = 120
# A user's lock frees itself after this long if its worker died holding it.
LOCK_TTL_MS = 60_000
# How often, and how long, a repeated delivery looks whether the first one is done.
POLL = 0.05
WAIT = 60.0
# A press waiting for the same user's previous one looks again after this long, then
# twice as long, up to POLL.
FIRST_RETRY = 0.005

# KEYS: the update's mark, the user's bucket, the user's lock, dialog state, dialog data;
# an empty name skips that step. ARGV: BUSY_TTL, DONE_TTL, rate, burst, lock token,
# LOCK_TTL_MS. Replies {"busy"} or {"done"} (a delivery of this update was handled or
# is being handled), {"drop"} or {"tell"} (over the limit: drop, or drop and say so
# once), {"wait"} (another update of this user holds the lock; mark and token are taken
# already), or {"go", state, data}.
# The bucket: `burst` updates at once, then `rate` a second, on Redis's own clock (TIME),
# which serves all workers.
_ENTER = """
local mark, bucket, lock = KEYS[1], KEYS[2], KEYS[3]
if mark ~= '' and not redis.call('SET', mark, 'busy', 'NX', 'EX', ARGV[1]) then
  return {redis.call('GET', mark) == 'done' and 'done' or 'busy'}
end
if bucket ~= '' then
  local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  local v = redis.call('HMGET', bucket, 'tokens', 'at', 'told')
  local tokens = tonumber(v[1]) or burst
  local last = tonumber(v[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
  local verdict, told = 'go', '0'
  if tokens >= 1 then
    tokens = tokens - 1
  elseif v[3] == '1' then
    verdict, told = 'drop', '1'
  else
    verdict, told = 'tell', '1'
  end
  redis.call('HSET', bucket, 'tokens', tostring(tokens), 'at', tostring(now), 'told', told)
  redis.call('PEXPIRE', bucket, math.ceil(burst / rate * 1000) + 1000)
  if verdict ~= 'go' then
    if mark ~= '' then redis.call('SET', mark, 'done', 'EX', ARGV[2]) end
    return {verdict}
  end
end
if lock ~= '' then
  if not redis.call('SET', lock, ARGV[5], 'NX', 'PX', ARGV[6]) then
    return {'wait'}
  end
  local stored = redis.call('MGET', KEYS[4], KEYS[5])
  return {'go', stored[1], stored[2]}
end
return {'go'}
"""

# KEYS: the user's lock, the update's mark (either may be empty). ARGV: lock token,
# DONE_TTL (the update was handled) or "" (it failed: forget the mark). With KEYS[3]
# and KEYS[4] (the dialog's state and data) and ARGV[3] and ARGV[4] (their values, ""
# for none), the dialog is put back as it was, first, while the lock is still held.
# Replies 0 when the lock was no longer this update's (it ran past LOCK_TTL_MS), else 1.
_LEAVE = """
local held = 1
if KEYS[1] ~= '' then
  if redis.call('GET', KEYS[1]) == ARGV[1] then
    if KEYS[3] then
      for i = 3, 4 do
        if ARGV[i] == '' then
          redis.call('DEL', KEYS[i])
        else
          redis.call('SET', KEYS[i], ARGV[i])
        end
      end
    end
    redis.call('DEL', KEYS[1])
  else
    held = 0
  end
end
if KEYS[2] ~= '' then
  if ARGV[2] == '' then
    redis.call('DEL', KEYS[2])
  else
    redis.call('SET', KEYS[2], 'done', 'EX', ARGV[2])
  end
end
return held
"""


class RedisGateMiddleware(BaseMiddleware):
    """`exactly_once`: marks for updates (webhook mode); `throttle`: (rate, burst) of the
    users' token buckets, or None for no throttling."""

    def __init__(
        self,
        storage: RedisStorage,
        fsm: FSMContextMiddleware,
        i18n: I18n,
        prefix: str,
        *,
        exactly_once: bool,
        throttle: tuple[float, int] | None,
    ) -> None:
        self.redis = storage.redis
        self.key_builder = storage.key_builder
        self.fsm = fsm
        self.i18n = i18n
        self.prefix = prefix
        self.exactly_once = exactly_once
        self.throttle = throttle
        self._enter = self.redis.register_script(_ENTER)
        self._leave = self.redis.register_script(_LEAVE)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        tg_user: TgUser | None = data.get("event_from_user")
        context = self.fsm.resolve_event_context(data["bot"], data)
        lock = HeldLock(context.key) if context is not None else None
        mark = f"{self.prefix}:update:{data['bot'].id}:{event.update_id}"
        keys = [
            mark if self.exactly_once else "",
            self._bucket(event, tg_user),
            *self._lock_keys(lock),
        ]
        token = uuid.uuid4().hex
        verdict = await self._come_in(event.update_id, keys, token, lock)
        if verdict == "done":
            log.info("Update %s was handled already: delivered again, skipped", event.update_id)
            return None
        if verdict != "go":
            assert tg_user is not None  # only users have buckets
            await refuse(event, tg_user, self.i18n, tell=verdict == "tell")
            return None
        entered = lock.stored if lock is not None else None
        held = held_lock.set(lock)
        try:
            result = await handler(event, data)
        except BaseException as exc:
            # Failed before it changed anything: forgotten, so a new delivery handles it;
            # after a commit the database refused ("nothing has changed"), the dialog is
            # put back too, as the SQL storage's rollback keeps it (the handler may have
            # ended it before that commit). Failed, or stopped by a worker's shutdown,
            # after a commit that changed data: handled, so a new delivery doesn't say
            # again what it said before that commit (the database's mark would roll that
            # delivery back anyway).
            session = data.get("session")
            done = session is not None and committed(session)
            if done and not isinstance(exc, DomainError):  # a refusal is answered
                log.warning(
                    "Update %s stopped after it committed its changes (%r): counted as "
                    "handled; what it had still to send after that commit is not sent",
                    event.update_id,
                    exc,
                )
            refused = isinstance(exc, NotSaved) and not done
            await self._go_out(
                event.update_id, keys, token, handled=done, dialog=entered if refused else None
            )
            raise
        finally:
            held_lock.reset(held)
        await self._go_out(event.update_id, keys, token, handled=True)
        return result

    def _bucket(self, event: Update, tg_user: TgUser | None) -> str:
        if self.throttle is None or tg_user is None or is_payment(event):
            return ""
        return f"{self.prefix}:throttle:{tg_user.id}"

    def _lock_keys(self, lock: HeldLock | None) -> list[str]:
        if lock is None:
            return ["", "", ""]
        return [self.key_builder.build(lock.key, part) for part in ("lock", "state", "data")]

    async def _come_in(
        self, update_id: int, keys: list[str], token: str, lock: HeldLock | None
    ) -> str:
        """ "go" (this delivery handles the update, holding the lock), "done" (it was
        handled), "drop" or "tell" (over the limit)."""
        if not any(keys):
            return "go"
        rate, burst = self.throttle or (0, 0)
        args = [BUSY_TTL, DONE_TTL, rate, burst, token, LOCK_TTL_MS]
        waited, retry, attempt = 0.0, FIRST_RETRY, keys
        while True:
            try:
                reply = await self._enter(keys=attempt, args=args)
                verdict = as_text(reply[0])
                if verdict == "busy":  # another worker has this update: wait for its end
                    if waited >= WAIT:
                        return "done"
                    await asyncio.sleep(POLL)
                    waited += POLL
                    continue
                if verdict == "wait":  # the user's previous update: only the lock is left
                    attempt = ["", "", *keys[2:]]
                    await asyncio.sleep(retry)
                    retry = min(retry * 2, POLL)
                    continue
            except BaseException:
                if attempt is not keys:  # the mark is this delivery's: forget it, so a
                    # new delivery handles the update (stopped while it waited for the
                    # lock: a shutdown, or Redis failing)
                    await self._go_out(update_id, keys, token, handled=False)
                raise
            if verdict == "go" and lock is not None:
                lock.stored = (as_text(reply[1]), as_text(reply[2]))
            return verdict

    async def _go_out(
        self,
        update_id: int,
        keys: list[str],
        token: str,
        *,
        handled: bool,
        dialog: tuple[str | None, str | None] | None = None,
    ) -> None:
        """`dialog`: the dialog's state and data to put back (as the update found them)."""
        lock, mark = keys[2], keys[0]
        if not (lock or mark):
            return
        names, args = [lock, mark], [token, DONE_TTL if handled else ""]
        if dialog is not None and lock:
            names += keys[3:5]
            args += [value or "" for value in dialog]
        try:
            held = await self._leave(keys=names, args=args)
        except RedisError as exc:
            # Handled: what the update did is committed and its answer (maybe in the
            # webhook reply) must still go out. Failed: its own error is the one to
            # report. Either way the lock frees itself in LOCK_TTL_MS and the "busy"
            # mark expires in BUSY_TTL; a delivery after that runs again, and
            # DbDedupeMiddleware(backstop=True) rolls it back if it changes data.
            log.warning(
                "Update %s %s, but Redis missed its lock release and mark: %s",
                update_id,
                "handled" if handled else "failed",
                exc,
            )
            return
        if not held:
            log.warning(
                "Update %s took longer than the user's lock lasts (%s s): another update "
                "of the same user may have run alongside it",
                update_id,
                LOCK_TTL_MS // 1000,
            )
