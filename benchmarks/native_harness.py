"""The native harness of benchmarks/webhook.py: wrk posts the presses and nginx plays the
Bot API, so that the measuring side takes as little as it can of the two cores the
workers share with it (`--harness native`, the default when both are on PATH).

- `Presses`: wrk (4.1) with the Lua script below, one thread, a closed loop of
  `concurrency` connections. The script builds each body as webhook.py's `_press(n)` does,
  lets exactly `count` requests out (its `delay()` hands out the ids; a connection past
  the last one waits), counts the answers that carry the button's answer in the reply
  (200 and `name="method"`) and, at the last one, stops its thread and interrupts wrk's
  own timer (`-d`, the arm's time limit) with SIGINT, so wrk reports at once.
  Latency is wrk's: every answer, from the request written to the answer read, with
  wrk's coordinated-omission correction (samples beyond twice the mean get company).
- `NginxBotAPI`: an nginx of its own in a temporary directory (no daemon, no master
  process, one worker): canned answers (a message with a category page's keyboard for the
  methods that return one, getMe, getWebhookInfo, else `true`), and an access log of the
  URIs it served, read at `stop` to count the calls per method.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.cpu import Meter
from benchmarks.stub_api import BOT

TOOLS = ("wrk", "nginx")
MESSAGE_METHODS = (
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
)

# Arguments after the URL: first id, how many, users, then the presses as JSON strings.
LUA = r"""
local ffi = require("ffi")
ffi.cdef("int kill(int pid, int sig); int getpid(void);")

local first, count, users, presses
ok, failed, reserved, built, answered = 0, 0, 0, 0, 0

function init(args)
  first, count, users = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  presses = {}
  for i = 4, #args do presses[#presses + 1] = args[i] end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function body(n)
  local uid = 1 + n % users
  local language = (uid % 4 == 0) and "ru" or "en"
  local data = presses[math.floor(n / users) % #presses + 1]
  return string.format(
    '{"update_id": %d, "callback_query": {"id": "cq%d", "from": {"id": %d, '
      .. '"is_bot": false, "first_name": "User%d", "language_code": "%s"}, '
      .. '"chat_instance": "ci%d", "data": %s, "message": {"message_id": 10, '
      .. '"date": 1700000000, "chat": {"id": %d, "type": "private"}, '
      .. '"from": {"id": 42, "is_bot": true, "first_name": "Shop"}, "text": "Menu"}}}',
    n, n, uid, uid, language, uid, data, uid)
end

function delay()  -- called before each request: the gate that lets exactly `count` out
  if reserved >= count then return 1e9 end
  reserved = reserved + 1
  return 0
end

function request()
  if built >= reserved then  -- wrk checks the script with one request it never sends
    return wrk.format(nil, nil, nil, body(first))
  end
  built = built + 1
  return wrk.format(nil, nil, nil, body(first + built - 1))
end

function response(status, headers, answer)
  if status == 200 and answer:find('name="method"', 1, true) then
    ok = ok + 1
  else
    failed = failed + 1
  end
  answered = answered + 1
  if answered == count then
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2)  -- SIGINT: wrk's main thread stops waiting out -d
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency)
  local ok_total, failed_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    failed_total = failed_total + thread:get("failed")
  end
  local e = summary.errors
  local p = function(q) return summary.requests > 0 and latency:percentile(q) or 0 end
  io.write(string.format(
    'RESULT {"ok": %d, "failed": %d, "socket_errors": %d, "duration_us": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    ok_total, failed_total, e.connect + e.read + e.write + e.timeout, summary.duration,
    p(50), p(95), p(99)))
end
"""


def missing() -> str | None:
    """Why the native harness can't run here, or None."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not absent:
        return None
    return f"{' and '.join(absent)} not on PATH (apt-get install wrk nginx-light)"


class Presses:
    """wrk posting presses to `url` (the workers), `concurrency` at a time, closed loop."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        presses: list[str],
        users: int,
        concurrency: int,
        workdir: str | Path,
    ) -> None:
        self.script = Path(workdir) / "press.lua"
        self.script.write_text(LUA)
        self.command = ["wrk", "-t1", f"-c{concurrency}", "--timeout", "30s"]
        self.command += ["-s", str(self.script)]
        for name, value in headers.items():
            self.command += ["-H", f"{name}: {value}"]
        self.url, self.users, self.presses = url, users, [json.dumps(p) for p in presses]

    async def press(self, first: int, count: int, limit: float = 300) -> dict[str, Any]:
        """Posts `count` presses (ids `first`...), for at most `limit` seconds. Returns what
        the script reports: ok, failed, socket_errors, duration_us, p50_us, p95_us, p99_us."""
        args = [f"-d{int(limit)}s", self.url, "--", str(first), str(count), str(self.users)]
        wrk = await asyncio.create_subprocess_exec(
            *self.command,
            *args,
            *self.presses,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(wrk.communicate(), limit + 60)
        except TimeoutError:
            wrk.kill()
            await wrk.wait()
            raise SystemExit(f"wrk did not finish in {limit + 60:.0f} s") from None
        for line in out.decode().splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        raise SystemExit(f"wrk reported nothing (exit {wrk.returncode}): {err.decode()[-500:]}")

    async def measure(self, first: int, updates: int, meter: Meter, limit: float) -> dict[str, Any]:
        """300 presses to warm up (ids before `first`), then `updates` measured: updates/s
        and latency (wrk's), errors (presses not answered with the button's answer), CPU."""
        await self.press(first - 300, 300, limit)
        meter.start()
        report = await self.press(first, updates, limit)
        measured = meter.stop(report["ok"])  # after wrk has exited: its CPU is counted
        del measured["seconds"]  # the rate comes from wrk's own clock
        return {
            "updates": updates,
            "updates_per_s": round(report["ok"] * 1e6 / report["duration_us"], 1),
            **{f"p{q}_ms": round(report[f"p{q}_us"] / 1000, 1) for q in (50, 95, 99)},
            "errors": updates - report["ok"],
            **measured,
            "bot_api_calls_in_replies": report["ok"],
        }


def _answer(result: Any) -> str:
    text = json.dumps({"ok": True, "result": result}, ensure_ascii=False, separators=(",", ":"))
    assert not set("'$\\") & set(text)  # nginx would read them in its quoted string
    return f"'{text}'"


def _message() -> dict[str, Any]:
    """What Telegram answers an edit with: the message, keyboard included, which the bot
    parses. The Python stub echoes the keyboard it was sent: the presses draw a category
    page (12 buttons) two times in three and the catalog (5) once, so this one has 10."""
    products = [[(f"Product {i:06d} · RUB{100 + i}.99", f"p:{i + 1}:1:1:0")] for i in range(6)]
    pager = [("1/250", "noop"), ("▶", "c:1:2:0")]
    back = [("⬅️ Back", "m:catalog"), ("🏠 Main menu", "m:home")]
    rows = [[{"text": t, "callback_data": d} for t, d in row] for row in [*products, pager, back]]
    return {
        "message_id": 10,
        "date": 1_700_000_000,
        # No user's chat: the bot remembers each message it edited (screens.base.Shown),
        # and a press on a chat it remembers wrongly might send nothing.
        "chat": {"id": 1_000_000_000, "type": "private"},
        "from": BOT,
        "text": "📂 Everything: choose a product",
        "reply_markup": {"inline_keyboard": rows},
    }


def nginx_conf(workdir: Path, port: int, token: str) -> str:
    webhook_info = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    answers = {"getMe": BOT, "getWebhookInfo": webhook_info}
    answers |= dict.fromkeys(MESSAGE_METHODS, _message())
    locations = "".join(
        f"        location = /bot{token}/{method} {{ return 200 {_answer(result)}; }}\n"
        for method, result in answers.items()
    )
    temp = "".join(
        f"    {kind}_temp_path {workdir}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
master_process off;
worker_processes 1;
error_log {workdir}/error.log;
pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
{temp}    log_format calls '$uri';
    access_log {workdir}/calls.log calls buffer=256k;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port};
{locations}        location / {{ return 200 {_answer(True)}; }}
    }}
}}
"""


class NginxBotAPI:
    """The stub Bot API as an nginx of its own in `workdir`; `calls` is filled at `stop`."""

    def __init__(self, workdir: Path, token: str) -> None:
        self.workdir, self.token = workdir, token
        self.calls: Counter[str] = Counter()
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        conf = self.workdir / "nginx.conf"
        conf.write_text(nginx_conf(self.workdir, port, self.token))
        self.process = await asyncio.create_subprocess_exec(
            "nginx", "-p", str(self.workdir), "-c", str(conf), stderr=asyncio.subprocess.DEVNULL
        )
        for _ in range(100):  # until it accepts connections
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if self.process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
                continue
            writer.close()
            self.url = f"http://127.0.0.1:{port}"
            return self.url
        log = self.workdir / "error.log"
        reason = log.read_text()[-500:] if log.exists() else "no error log"
        await self.stop()
        raise SystemExit(f"nginx did not start: {reason}")

    async def stop(self) -> None:
        """Stops nginx (it writes out its log buffer) and counts the calls it answered."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: the log buffer is written
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.process = None
        log = self.workdir / "calls.log"
        if log.exists():
            self.calls.update(line.rsplit("/", 1)[-1] for line in log.read_text().split())
