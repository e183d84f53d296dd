"""English stemming is safe in threads: a worker loads its kept state in a background thread while its task
tokenises, and one shared Snowball stemmer garbled words and raised IndexError (seen in CI on a real worker)."""

from __future__ import annotations

import threading

from matching.engine import text

WORDS = [
    f"{word}{suffix}"
    for word in (
        "nationalization", "generational", "conditional", "electrodes", "operationally", "manufacturing", "relational",
        "hopefulness",
    )
    for suffix in ("", "s", "ness", "ing")
] * 300


def test_threads_stem_as_one_thread_does():
    unstemmed = text.stem.__wrapped__  # past the cache, so that every thread stems every word
    expected = [unstemmed(word) for word in WORDS]
    problems: list[str] = []

    def work() -> None:
        try:
            if [unstemmed(word) for word in WORDS] != expected:
                problems.append("a word stemmed differently")
        except Exception as error:  # what a shared stemmer raised
            problems.append(repr(error))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert expected[:2] == ["nation", "nation"]  # the words were stemmed at all
