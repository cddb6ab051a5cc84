"""Where the CPU goes during a load benchmark on this machine (Linux /proc): the bot's
processes, PostgreSQL, Redis, the load generator and the stub Bot API, the whole machine."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from pathlib import Path


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of one running process; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def bot_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children still running (Linux /proc):
    the bot's own cost, whatever else the shared machine is doing."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    return sum(process_cpu_seconds(p) for p in pids)


def harness_cpu_seconds(pids: Iterable[int] = ()) -> float:
    """The measuring side's CPU so far: this process (the Python load generator and stub),
    its children already waited for (wrk, once it has exited) and the running processes
    `pids` (nginx)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time() + children.ru_utime + children.ru_stime
    return own + sum(process_cpu_seconds(p) for p in pids)


def service_cpu(harness: Iterable[int] = ()) -> dict[str, float]:
    """CPU seconds so far of the services on this machine that the arms use: PostgreSQL's
    processes and Redis's (by process name), and the load generator with the stub Bot API
    (`harness_cpu_seconds`). What the workers leave of the two cores goes to these."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"postgres": 0.0, "redis": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, IndexError, ValueError):
            continue
        kind = (
            "postgres"
            if name.startswith("postgres")
            else "redis"
            if name.startswith("redis-server")
            else None
        )
        if kind:
            f = fields.split()
            totals[kind] += (int(f[11]) + int(f[12])) / tick
    totals["load generator + stub"] = harness_cpu_seconds(harness)
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    totals["machine, all busy"] = (sum(cpu) - cpu[3] - cpu[4]) / tick  # less idle, iowait
    totals["machine, softirq"] = cpu[6] / tick
    return totals


class Meter:
    """CPU and time of one measured stretch: the bot's processes (`bot_pid` and its
    children) and the rest (`service_cpu`, with the harness's own processes `harness`)."""

    def __init__(self, bot_pid: int, harness: Iterable[int] = ()) -> None:
        self.bot_pid, self.harness = bot_pid, list(harness)

    def start(self) -> None:
        self.bot = bot_cpu_seconds(self.bot_pid)
        self.services = service_cpu(self.harness)
        self.began = time.perf_counter()

    def stop(self, handled: int) -> dict[str, object]:
        """Seconds since `start`, and CPU ms per handled update: the bot's, the others'."""
        seconds = time.perf_counter() - self.began
        bot = bot_cpu_seconds(self.bot_pid) - self.bot
        after = service_cpu(self.harness)
        per = 1000 / max(1, handled)
        return {
            "seconds": seconds,
            "bot_cpu_ms_per_update": round(bot * per, 2),
            "other_cpu_ms_per_update": {
                k: round((after[k] - self.services[k]) * per, 2) for k in after
            },
        }
