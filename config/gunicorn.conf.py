"""gunicorn's settings for production (``gunicorn config.wsgi -c config/gunicorn.conf.py``; bench/web_load.py runs
the same): the application is imported once in the master (``preload_app``), which also builds what every worker
would otherwise build at its first request (the search tokenizer and its lexicon, 6-7 s; the URLs; the busiest
templates), so that the forked workers share that memory and the first searches after a start do not wait. Workers,
address and the rest are given on the command line.

Python's cyclic garbage collector: what the master built is moved out of its reach before the fork (``gc.freeze``:
never scanned again, and its pages stay shared rather than copied when a collection would touch them), and workers
collect the young generation after 50,000 allocations rather than 700. A page builds tens of thousands of short-lived
objects (querysets, template nodes) that reference counting frees; with the default threshold the collector ran
dozens of times a request, scanning them for cycles that are not there."""

import gc

preload_app = True
GC_THRESHOLD = (50_000, 20, 100)


def when_ready(server):  # type: ignore[no-untyped-def]
    from django.db import connections
    from django.template.loader import get_template
    from django.urls import get_resolver

    from marketplace.search import query_terms, tokenizer

    tokenizer()
    query_terms("固态电池 sodium-ion battery")
    get_resolver().url_patterns  # noqa: B018 - built now, in the master
    for name in ("base.html", "home.html", "marketplace/posting_list.html", "marketplace/posting_detail.html"):
        get_template(name)
    connections.close_all()  # no database connection crosses the fork
    gc.collect()
    gc.freeze()


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    gc.set_threshold(*GC_THRESHOLD)
