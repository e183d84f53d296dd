"""Where apps above marketplace add to its pages without marketplace importing them (dependencies run one way:
events -> matching -> marketplace -> accounts; the dashboard sits above them all).

``posting_annotators``: called with the postings a page of marketplace lists, grouped by kind ("achievements",
"needs"), to give them attributes their templates show. The dashboard registers the match counts of "my
organisation" in its ``AppConfig.ready``; without it the page simply shows none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

PostingAnnotator = Callable[..., None]
posting_annotators: list[PostingAnnotator] = []


def annotate_postings(
    *, user: Any, organization_ids: Iterable[int], postings_by_kind: dict[str, Sequence[Any]]
) -> None:
    """Let every registered annotator add to these postings (one call per page, not per posting)."""
    ids = list(organization_ids)
    for annotator in posting_annotators:
        annotator(user=user, organization_ids=ids, postings_by_kind=postings_by_kind)
