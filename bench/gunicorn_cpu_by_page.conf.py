"""gunicorn's settings for ``bench/web_load.py --cpu-by-page``: production's (``config/gunicorn.conf.py``), and the
CPU time each request took in its worker (``time.process_time``), appended with its path and whether it came with a
session to ``WEB_LOAD_CPU_DIR/<worker pid>.tsv``, which web_load.py sums per page of the mix."""

import os
import time
from pathlib import Path

exec(compile((Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"))  # noqa: E501, S102

_OUT = Path(os.environ["WEB_LOAD_CPU_DIR"])


def pre_request(worker, req):  # type: ignore[no-untyped-def]
    worker.cpu_started = time.process_time()


def post_request(worker, req, environ, resp):  # type: ignore[no-untyped-def]
    spent = time.process_time() - getattr(worker, "cpu_started", time.process_time())
    member = "sessionid=" in environ.get("HTTP_COOKIE", "")
    query = environ.get("QUERY_STRING", "")
    with open(_OUT / f"{os.getpid()}.tsv", "a", encoding="utf-8") as out:
        out.write(f"{environ.get('PATH_INFO', '')}\t{query}\t{int(member)}\t{spent * 1000:.3f}\n")
