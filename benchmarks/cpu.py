"""Where the CPU goes during a load benchmark on this machine (Linux /proc): the bot's
processes, PostgreSQL, Redis, the benchmark's own process, the whole machine."""

from __future__ import annotations

import os
import time
from pathlib import Path


def bot_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children still running (Linux /proc):
    the bot's own cost, whatever else the shared machine is doing."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def service_cpu() -> dict[str, float]:
    """CPU seconds so far of the services on this machine that the arms use: PostgreSQL's
    processes and Redis's (by process name), and this process (the load generator and
    the stub Bot API). What the workers leave of the two cores goes to these."""
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
    totals["load generator + stub"] = time.process_time()
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    totals["machine, all busy"] = (sum(cpu) - cpu[3] - cpu[4]) / tick  # less idle, iowait
    totals["machine, softirq"] = cpu[6] / tick
    return totals


def cpu_split(before: dict[str, float], handled: int) -> dict[str, float]:
    after = service_cpu()
    return {k: round((after[k] - before[k]) * 1000 / max(1, handled), 2) for k in after}
