"""A full rebuild through Celery with 1 and with 2 worker processes: wall time, speed-up, memory, per-block cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_rebuild_small \\
        .venv/bin/python bench/rebuild_workers.py [--processes 1,2] [--block 2000] \\
        [--redis redis://127.0.0.1:6379/13] [--fill 5000x1000] [--keep-tokens]

The database is one ``bench/generate.py`` filled (``--fill AxN`` runs it first, into DATABASE_URL). For each number
of worker processes, one ``celery -A config worker -c P`` is started on a queue of its own, the matches (and, unless
``--keep-tokens``, the cached token bags) are emptied, and ``matching.tasks.full_rebuild_task`` is sent: tokenising
chunks, one fit, the scoring blocks of needs then achievements (``matching.fanout``), the finish. Measured:
- wall time from sending the rebuild to the run marked done, and the speed-up of P processes over 1;
- peak resident memory (VmHWM) of every worker child process, read from /proc at the end of the run;
- the run's own split: fit (one process), blocks (summed over the processes), finish; per block its rows, pairs
  written, seconds, of which ranking and loading the fitted state;
and from those, a paper estimate of the same rebuild at 10^6 achievements x 2x10^5 needs on N machines (see
``estimate``: the model is printed with the figures).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                ppid = next(int(x.split()[1]) for x in status.read_text().splitlines() if x.startswith("PPid:"))
            except (OSError, StopIteration, ValueError):
                continue
            if ppid == pid:
                found.append(int(status.parent.name))
        return found


def start_workers(processes: int, env: dict[str, str], queue: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", str(processes), "-n",
               f"{queue}@%h", "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--loglevel=WARNING"]  # fmt: skip
    log = (Path(tempfile.gettempdir()) / f"{queue}.log").open("wb")
    worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)  # noqa: S603
    from config.celery import app

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if any(queue in name for reply in replies for name in reply):
            return worker
    stop(worker)
    raise RuntimeError("the workers did not come up within 90 s")


def stop(worker: subprocess.Popen[bytes]) -> None:
    import signal

    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def empty(keep_tokens: bool) -> None:
    from django.db import connection

    from matching.models import Match, MatchRun, RecordTokens

    tables = [Match._meta.db_table] + ([] if keep_tokens else [RecordTokens._meta.db_table])
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # our own bench database
    MatchRun.objects.all().delete()


def rebuild(processes: int, args: argparse.Namespace, env: dict[str, str]) -> dict:
    from config.celery import app
    from matching.models import MatchRun
    from matching.tasks import full_rebuild_task

    queue = f"bench-rebuild-{uuid.uuid4().hex[:6]}"
    app.conf.task_default_queue = queue
    empty(args.keep_tokens)
    worker = start_workers(processes, {**env, "CELERY_QUEUE": queue}, queue)
    try:
        pool = children(worker.pid)
        started = time.perf_counter()
        run_id = full_rebuild_task.delay(trigger="bench").get(timeout=120)
        peak: dict[int, float] = {}
        while True:
            run = MatchRun.objects.get(pk=run_id)
            for pid in children(worker.pid):
                peak[pid] = max(peak.get(pid, 0.0), vm_hwm_mb(pid))
            if run.status in ("done", "failed"):
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        app.control.purge()  # the explaining left for later (a large run) is not measured here
    finally:
        stop(worker)
    if run.status != "done":
        raise SystemExit(f"the rebuild failed: {run.error}")
    return {"processes": processes, "wall": wall, "counts": run.counts, "peak": peak, "pool": pool}


def estimate(
    result: dict, achievements: int, needs: int, machines: list[int], per_machine: int, speedup: float
) -> None:
    """The paper estimate. Model:
    - a block of r rows of one side costs r x (size of the other side) x c_side for ranking (the candidate product
      and scoring: linear in the other side, which is conservative: the pruned product's cost grows with the posting
      lists of a record's heaviest terms), plus its written pairs x w for explaining and writing;
    - each worker process pays once per run for loading the state and building the explainer's tables (the first
      block of each process, beyond a warm block of its size), which grows with the vocabulary (~ A + N);
    - the fit (one process) grows with A + N: encoding the cached bags and the pruned candidate products, as measured
      on this machine from 5,000 to 120,000 postings (docs/matching.md: 12 s here, 86 s at 100,000 x 20,000);
    - the finish (stale removal, release, adopting the state) grows with the pairs;
    - pairs written grow with A + N (top K of each record);
    - blocks share out over the processes of all machines with the efficiency measured here (the speed-up of 2
      processes over 1, halved); the fit and the finish stay serial."""
    counts = result["counts"]
    a0, n0 = counts["achievements"], counts["needs"]
    costs = counts["block costs"]
    rank = {"n": 0.0, "a": 0.0}
    work = {"n": 0.0, "a": 0.0}
    rest, pairs0, warm_pairs, first = 0.0, 0, 0, []
    for side, rows, pairs, seconds, load, ranked, loaded in costs:
        rank[side] += ranked
        work[side] += rows * (a0 if side == "n" else n0)
        pairs0 += pairs
        if loaded:
            first.append((seconds - ranked, pairs))
        else:
            rest += max(seconds - load - ranked, 0.0)
            warm_pairs += pairs
    c = {side: rank[side] / work[side] if work[side] else 0.0 for side in rank}
    w = rest / max(warm_pairs, 1)
    warmup = max((s - p * w for s, p in first), default=0.0)
    fit0 = counts["seconds"]["fit"]
    finish0 = counts["seconds"].get("finish", 0.0)
    grow = (achievements + needs) / (a0 + n0)
    pairs = pairs0 * grow
    blocks_work = c["n"] * needs * achievements + c["a"] * achievements * needs + w * pairs
    fit, finish, warm = fit0 * grow, finish0 * grow, warmup * grow
    efficiency = max(min(speedup / 2, 1.0), 0.1)
    print(f"\nPaper estimate, {achievements:,} achievements x {needs:,} needs (model: bench/rebuild_workers.py):")
    print(f"  measured at {a0:,} x {n0:,}: ranking {c['n'] * 1e9:.0f} ns per need x achievement in need blocks, "
          f"{c['a'] * 1e9:.0f} ns per achievement x need in achievement blocks; explaining + writing "
          f"{w * 1e6:.0f} us per pair written; per process warm-up {warmup:.1f} s; fit {fit0:.1f} s; finish "
          f"{finish0:.1f} s; parallel efficiency {efficiency:.2f}")
    print(f"  pairs written ~{pairs:,.0f}; blocks' work {blocks_work / 3600:.1f} process-hours; fit (serial) "
          f"{fit / 60:.1f} min; finish (serial) {finish / 60:.1f} min; warm-up per process {warm / 60:.1f} min")
    # The lower bound: a block's ranking grows with its rows only (the pruned candidate product's cost per row is
    # nearly flat in the other side's size: docs/matching.md measured rank at 8.6 s for 120,000 rows in one process).
    rows_only = (rank["n"] + rank["a"]) / max(a0 + n0, 1) * (achievements + needs) + w * pairs
    print(f"  upper bound (ranking ~ rows x other side): blocks {blocks_work / 3600:.1f} process-hours; lower bound "
          f"(ranking ~ rows): {rows_only / 3600:.1f} process-hours")
    for m in machines:
        workers = m * per_machine
        wall = fit + finish + warm + blocks_work / (workers * efficiency)
        low = fit + finish + warm + rows_only / (workers * efficiency)
        print(f"  {m:>3} machine(s) x {per_machine} processes: ~{low / 3600:.1f} h to ~{wall / 3600:.1f} h")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", default="1,2", help="worker processes to measure, comma-separated")
    parser.add_argument("--block", type=int, default=2000, help="rows per scoring block (MATCHING_REBUILD_BLOCK)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--fill", default="", help="AxN: fill the database with bench/generate.py first")
    parser.add_argument("--keep-tokens", action="store_true", help="keep the cached token bags between runs")
    parser.add_argument("--per-machine", type=int, default=8, help="worker processes per machine in the estimate")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database filled by bench/generate.py")
    if args.fill:
        a, n = args.fill.lower().split("x")
        subprocess.run([sys.executable, str(ROOT / "bench/generate.py"), "--achievements", a, "--needs", n,  # noqa: S603
                        "--matches", "0"], check=True, cwd=ROOT)  # fmt: skip
    state = tempfile.mkdtemp(prefix="rebuild-bench-state-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "CELERY_BROKER_URL": args.redis,
           "CELERY_RESULT_BACKEND": args.redis, "MATCHING_STATE_DIR": state, "MATCHING_ON_PUBLISH": "false",
           "MATCHING_REBUILD_BLOCK": str(args.block)}  # fmt: skip
    os.environ.update(env)
    import django

    django.setup()
    results = []
    for processes in [int(p) for p in args.processes.split(",")]:
        result = rebuild(processes, args, env)
        results.append(result)
        counts = result["counts"]
        seconds = counts["seconds"]
        costs = counts["block costs"]
        print(f"\n{processes} worker process(es): wall {result['wall']:.1f} s for {counts['achievements']:,} "
              f"achievements x {counts['needs']:,} needs, {counts['pairs']:,} pairs kept, {len(costs)} blocks of "
              f"{args.block} rows")
        print(f"  fit {seconds['fit']:.1f} s (one process); blocks {seconds['blocks']:.1f} s summed over "
              f"{counts['worker processes']} process(es); finish {seconds.get('finish', 0):.1f} s")
        for side, name in (("n", "need"), ("a", "achievement")):
            own = [c for c in costs if c[0] == side]
            if own:
                mean = sum(c[3] for c in own) / len(own)
                ranked = sum(c[5] for c in own) / len(own)
                first = [c[3] for c in own if c[6]]
                load = max(c[4] for c in own)
                print(f"  {name} blocks: {len(own)}, mean {mean:.2f} s (ranking {ranked:.2f} s), "
                      f"{sum(c[2] for c in own) / len(own):,.0f} pairs written each; state load at most {load:.2f} s; "
                      f"first block of a process {max(first, default=0):.1f} s")
        peaks = ", ".join(f"{mb:.0f} MB" for mb in sorted(result["peak"].values(), reverse=True))
        print(f"  peak RSS (VmHWM) per worker child: {peaks}")
    if len(results) >= 2:
        speedup = results[0]["wall"] / results[-1]["wall"]
        print(f"\nspeed-up {results[-1]['processes']} processes over {results[0]['processes']}: {speedup:.2f}x "
              f"(wall {results[0]['wall']:.1f} s -> {results[-1]['wall']:.1f} s)")
    else:
        speedup = 1.0
    estimate(results[-1], 1_000_000, 200_000, [1, 4, 16], args.per_machine, speedup)


if __name__ == "__main__":
    main()
