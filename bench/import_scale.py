"""A large import through ``import_records`` (the path the upload page's background job and the command share).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_import_bench \\
        .venv/bin/python bench/import_scale.py [--rows 200000] [--mb 20] [--real-length] [--keep-file]

Writes a CSV of ``--rows`` achievements drawn from the real Chinese and English records of ``bench/data``
(bench-cn-dev and bench-real-dev: titles, summaries cut so that the file is about ``--mb`` MB, as in the 20 MB,
200k-row file of issue 11; with ``--real-length`` the summaries are whole, for the rate on real prose), with 2,000
institutions and places from the records, then imports it into a fresh, migrated database (created next to
DATABASE_URL's and dropped at the end; without DATABASE_URL, a temporary SQLite file) with ``--create-orgs``.
Prints the file's size, then for the import and a dry run (check only, written and rolled back), each into a fresh
database: wall time, rows per second, peak resident memory (the process alone, with the tokenizer's lexicon loaded,
holds about 300 MB), and for the import when its rows were committed (the new postings' search index rows are
written after the commit). Goal (issue 11 item 1): 200,000 valid rows in under 2 minutes.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from matching_incremental import Databases, environment, manage, run  # noqa: E402

DATA = ROOT / "bench" / "data"
COLUMNS = ["ref", "title", "summary", "domains", "keywords", "trl", "ip", "modes", "price_wan", "province", "city",
           "institution", "lang"]  # fmt: skip


def records() -> list[dict]:
    out = []
    for name in ("bench-cn-dev", "bench-real-dev", "bench-dev"):
        with open(DATA / name / "achievements.jsonl", encoding="utf-8") as handle:
            out.extend(json.loads(line) for line in handle if line.strip())
    return out


def write_csv(path: Path, rows: int, megabytes: float, real_length: bool) -> None:
    source = records()
    fixed = 140  # bytes of the other columns, about
    per_row = megabytes * 2**20 / rows
    institutions = sorted({r.get("institution") or "" for r in source} - {""})[:2000] or ["某大学"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number, record in zip(range(rows), itertools.cycle(source), strict=False):
            title = record["title"][:80]
            summary = record["summary"]
            if not real_length:
                budget = max(int(per_row) - fixed - len(title.encode()), 20)
                summary = summary.encode()[:budget].decode("utf-8", "ignore") or title
            price = record.get("price_wan")
            writer.writerow([
                f"A{number:07d}", title, summary, "; ".join(record.get("domains") or []),
                "; ".join((record.get("keywords") or [])[:5]), record.get("trl") or "", record.get("ip") or "",
                "; ".join(record.get("modes") or []),
                "" if not price else (f"{price[0]}-{price[1]}" if isinstance(price, list) else price),
                record.get("province") or "", record.get("city") or "",
                institutions[number % len(institutions)], record.get("lang") or "",
            ])  # fmt: skip


def run_captured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; its wall time (s), peak resident memory (MB) and what it printed."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - progress bars (stderr) dropped
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--mb", type=float, default=20.0, help="about how large the file is")
    parser.add_argument("--real-length", action="store_true", help="whole summaries (the file is larger)")
    parser.add_argument("--keep-file", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="techmatch-import-bench-"))
    path = work / "achievements.csv"
    write_csv(path, args.rows, args.mb, args.real_length)
    print(f"file: {path} ({args.rows} rows, {path.stat().st_size / 2**20:.1f} MB)")
    url = os.environ.get("DATABASE_URL", "")
    dbs = Databases(url) if url.startswith("postgres") else None
    try:
        sqlite = f"sqlite:///{work / 'db.sqlite3'}"
        print(f"database: {'PostgreSQL' if dbs else 'SQLite'}")
        importing = manage("import_records", "achievements", str(path), "--create-orgs", "--verbosity", "1")
        for label, extra, name in (("import", [], "import"), ("dry run (checked, written, rolled back)",
                                                              ["--dry-run"], "dry")):  # fmt: skip
            database = dbs.url(dbs.create(f"{dbs.base}_{name}")) if dbs is not None else sqlite
            if dbs is None:
                (work / "db.sqlite3").unlink(missing_ok=True)
            # Production settings (DEBUG off: with it on, Django keeps every query's SQL, hundreds of MB here).
            env = {**environment(database, work / "state"), "IMPORT_MAX_SECONDS": "3600", "DEBUG": "false",
                   "SECRET_KEY": "bench-only-not-a-secret", "ALLOWED_HOSTS": "localhost"}  # fmt: skip
            run(manage("migrate", "--verbosity", "0"), env)
            seconds, peak, output = run_captured([*importing, *extra], env)
            written = re.search(r"committed after ([\d.]+) s", output)
            print(f"{label}: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, peak {peak:,.0f} MB"
                  + (f"; rows committed after {written.group(1)} s, the rest indexing for search" if written and
                     not extra else ""))  # fmt: skip
    finally:
        if dbs is not None:
            dbs.drop_all()
        if not args.keep_file:
            for item in sorted(work.rglob("*"), reverse=True):
                item.unlink() if item.is_file() else item.rmdir()
            work.rmdir()


if __name__ == "__main__":
    main()
