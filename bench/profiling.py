"""Where a web worker spends its time under load: py-spy samples both gunicorn workers of a
side while wrk drives its webhook, and the stacks are folded into top-N tables."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import time
from argparse import Namespace
from collections import Counter
from pathlib import Path

from sides import Side
from wrkrun import run_wrk

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
# which part of the stack a leaf frame belongs to: py-spy names files relative to their
# sys.path entry, so the first path component is the package
AREAS = {
    "pandawa": "pandawa",
    "sqlalchemy": "sqlalchemy",
    "psycopg": "psycopg",
    "psycopg_binary": "psycopg",
    "psycopg_pool": "psycopg",
    "celery": "celery/kombu",
    "kombu": "celery/kombu",
    "redis": "redis",
    "twilio": "twilio",
    "flask": "flask/werkzeug",
    "werkzeug": "flask/werkzeug",
    "gunicorn": "gunicorn",
    "prometheus_client": "prometheus",
    "logging": "logging",
    "json": "json",
    "socket.py": "socket",
    "ssl.py": "socket",
}


def _relative(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _area(frame: str) -> str:
    m = FRAME.match(frame)
    return AREAS.get(_relative(m["file"]).split("/", 1)[0], "python/other") if m else "python/other"


def _short(frame: str) -> str:
    m = FRAME.match(frame)
    return f"{m['func']} ({_relative(m['file'])})" if m else frame


def fold(raw: Path) -> dict:
    """py-spy's raw (collapsed) output -> self and inclusive sample counts."""
    total, self_time, inclusive, areas = 0, Counter(), Counter(), Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += n
        self_time[_short(frames[-1])] += n
        areas[_area(frames[-1])] += n
        # below gunicorn's loop only: what serving one request costs
        for frame in {_short(f) for f in frames if not f.split("(")[-1].startswith("gunicorn")}:
            inclusive[frame] += n

    def top(counter: Counter, k: int) -> list[dict]:
        return [
            {"frame": f, "samples": n, "percent": round(100 * n / total, 1)}
            for f, n in counter.most_common(k)
        ]

    return {
        "samples": total,
        "self": top(self_time, 20),
        "inclusive": top(inclusive, 40),
        "areas": top(areas, 20),
    }


def profile_under_load(side: Side, args: Namespace, py_spy: Path, tmp: Path, keep: Path) -> dict:
    """Sample both workers while wrk loads them; the raw stacks are kept at `keep` (collapsed
    format: `flamegraph.pl` or speedscope read it)."""
    seconds = args.profile
    requests = side.signer.write(
        "profile", math.ceil(side.rps_estimate * seconds * 1.5) + 4 * args.connections
    )
    raw = tmp / "profile.txt"
    cmd = [
        str(py_spy),
        "record",
        "--pid",
        str(side.server.proc.pid),
        "--subprocesses",
        "--rate",
        "200",
        "--duration",
        f"{seconds + 1:g}",
        "--format",
        "raw",
        "--output",
        str(raw),
        "--nonblocking",
    ]
    spy = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        time.sleep(1.0)  # attach before the load starts
        result = run_wrk(
            side.server.base_url,
            side.path,
            requests,
            threads=args.threads,
            connections=args.connections,
            seconds=seconds,
        )
        _, err = spy.communicate(timeout=seconds + 30)
    finally:
        if spy.poll() is None:
            os.killpg(spy.pid, signal.SIGKILL)
            spy.wait()
    if not raw.exists():
        raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace')[-1000:]}")
    keep.write_text(raw.read_text(errors="replace"))
    folded = fold(raw)
    folded["raw_stacks"] = str(keep)
    folded["rps_while_sampled"] = round(result.rps, 1)
    return folded


def markdown(profile: dict, title: str) -> str:
    out = [
        f"Profile of the web workers of {title} ({profile['samples']} samples, "
        f"{profile['rps_while_sampled']} req/s while sampled; py-spy --nonblocking)",
        "",
        "| where (leaf frame's package) | % of samples |",
        "|---|---|",
    ]
    out += [f"| {a['frame']} | {a['percent']} |" for a in profile["areas"]]
    out += ["", "| inclusive: function (file) | % |", "|---|---|"]
    out += [f"| {f['frame']} | {f['percent']} |" for f in profile["inclusive"][:25]]
    out += ["", "| self: function (file) | % |", "|---|---|"]
    out += [f"| {f['frame']} | {f['percent']} |" for f in profile["self"][:15]]
    return "\n".join(out) + "\n"
