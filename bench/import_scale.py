"""A large import through ``import_records`` (the path the upload page's background job and the command share).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_import_bench \\
        .venv/bin/python bench/import_scale.py [--rows 200000] [--mb 20] [--real-length] [--keep-file]

Writes a CSV of ``--rows`` achievements drawn from the real Chinese and English records of ``bench/data``
(bench-cn-dev and bench-real-dev: titles, summaries cut so that the file is about ``--mb`` MB, as in the 20 MB,
200k-row file of issue 11; with ``--real-length`` the summaries are whole, for the rate on real prose), with 2,000
institutions and places from the records, then imports it into a fresh, migrated database (created next to
DATABASE_URL's and dropped at the end; without DATABASE_URL, a temporary SQLite file) with ``--create-orgs``.
Prints the file's size, then for a dry run (check only, written and rolled back) and the real import: wall time,
rows per second and peak resident memory (the process alone, with the tokenizer's lexicon loaded, holds about
300 MB). Goal (issue 11 item 1): 200,000 valid rows in under 2 minutes.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import sys
import tempfile
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
        database = dbs.url(dbs.create(f"{dbs.base}_import")) if dbs is not None else sqlite
        # Production settings (DEBUG off: with it on, Django keeps every query's SQL, hundreds of MB here).
        env = {**environment(database, work / "state"), "IMPORT_MAX_SECONDS": "3600", "DEBUG": "false",
               "SECRET_KEY": "bench-only-not-a-secret", "ALLOWED_HOSTS": "localhost"}  # fmt: skip
        run(manage("migrate", "--verbosity", "0"), env)
        importing = manage("import_records", "achievements", str(path), "--create-orgs", "--verbosity", "0")
        print(f"database: {'PostgreSQL' if dbs else 'SQLite'}")
        for label, extra in (("dry run (checked, written, rolled back)", ["--dry-run"]), ("import", [])):
            seconds, peak = run([*importing, *extra], env)
            print(f"{label}: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, peak {peak:,.0f} MB")
    finally:
        if dbs is not None:
            dbs.drop_all()
        if not args.keep_file:
            for item in sorted(work.rglob("*"), reverse=True):
                item.unlink() if item.is_file() else item.rmdir()
            work.rmdir()


if __name__ == "__main__":
    main()
