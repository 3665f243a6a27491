"""What every benchmark shares: paths, timed subprocesses with their peak memory, statistics, result writing."""

import datetime as dt
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
WORK_DIR = ROOT / "var" / "bench"  # var/ is gitignored
PROVINCE_DB = WORK_DIR / "province.sqlite3"

# The same connection settings as config/settings.py gives Django's SQLite connections.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
    "PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
)


def sqlite_env(db_path: Path) -> dict[str, str]:
    """The environment of a Bangdai process on this SQLite file (never the PostgreSQL URL of the shell)."""
    env = {k: v for k, v in os.environ.items() if k not in ("BANGDAI_DATABASE_URL", "BANGDAI_REDIS_URL")}
    env.update(BANGDAI_SQLITE_PATH=str(db_path), DJANGO_SETTINGS_MODULE="config.settings", BANGDAI_DEBUG="0")
    return env


def bangdai_command() -> list[str]:
    """The installed ``bangdai`` console command of this virtual environment."""
    script = Path(sys.executable).parent / "bangdai"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bangdai"]


def raw_connection(db_path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection configured like Django's, in autocommit mode (we issue BEGIN ourselves)."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.executescript(SQLITE_PRAGMAS)
    return conn


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> Run:
    """Run a command; its wall time and the peak RSS of that very process (``wait4``, not RUSAGE_CHILDREN).

    ``RUSAGE_CHILDREN`` is a maximum over every child this process ever waited for; ``wait4`` gives the
    resource usage of the one child, so each case reports its own peak.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux.
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read())


def check(run: Run, what: str) -> Run:
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(f"{what} failed with exit code {run.returncode}")
    return run


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float:
    return statistics.median(values)


def record(case: str, seconds: float, peak_mb: float, baseline_seconds: float, **figures) -> dict:
    """One measured case in the shape every results file shares."""
    return {
        "case": case,
        "seconds": round(seconds, 6),
        "peak_mb": round(peak_mb, 1),
        "baseline_seconds": round(baseline_seconds, 6),
        "ratio": round(seconds / baseline_seconds, 2) if baseline_seconds else None,
        **figures,
    }


def machine() -> dict[str, str]:
    """The machine the figures were measured on."""
    model = platform.processor() or ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        found = re.search(r"^Model name:\s*(.+)$", lscpu, re.MULTILINE)
        model = found.group(1).strip() if found else model
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
    }


def print_table(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> None:
    """Print ``rows`` as an aligned table; ``columns`` are (header, key) pairs."""
    cells = [[header for header, _ in columns]] + [
        [_cell(row.get(key)) for _, key in columns] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    print(f"\n{title}")
    for n, line in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.rjust(w) if n and i else c.ljust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )


def markdown_table(columns: list[tuple[str, str]], rows: list[dict]) -> str:
    lines = ["| " + " | ".join(h for h, _ in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(row.get(key)) for _, key in columns) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_results(name: str, records: list[dict], order: list[str] | None = None) -> list[dict]:
    """bench/results/NAME.json, replaced atomically; the records it now holds.

    With ``order`` (every case name of the benchmark) the file is merged by case: these records replace the
    earlier ones of the same case, the other cases keep their last record, and the file lists cases in that order.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    if order is not None:
        kept = {r["case"]: r for r in read_results(name)}
        kept.update((r["case"], r) for r in records)
        records = [kept[case] for case in order if case in kept]
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return records


def read_results(name: str) -> list[dict]:
    """The records of bench/results/NAME.json, or none."""
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def update_doc(name: str, body: str) -> None:
    """Replace the text between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` in docs/benchmarks.md."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    m = machine()
    section = (
        f"{start}\n_Measured {stamp} on {m['cpus']} × {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"{m['os']}; written by `python -m bench {name}` from bench/results/{name}.json._\n\n{body.strip()}\n{end}"
    )
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + f"\n\n{section}\n"
    )
    DOC.write_text(text, encoding="utf-8")
