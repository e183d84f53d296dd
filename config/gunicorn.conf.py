"""gunicorn's settings for production (``gunicorn config.wsgi -c config/gunicorn.conf.py``; bench/web_load.py runs
the same): the application is imported once in the master (``preload_app``), which also builds what every worker
would otherwise build at its first request (the search tokenizer and its lexicon, 6-7 s; the URLs; the busiest
templates), so that the forked workers share that memory and the first searches after a start do not wait. Workers,
address and the rest are given on the command line."""

preload_app = True


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
