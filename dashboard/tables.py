"""The statistics page as named tables: each with translated headers, rows, and the SVG chart drawn from it.

One ``Table`` serves the page (a chart with its numbers in a table next to it) and its CSV download
(``?format=csv&table=<name>``), so the file always holds exactly what the page shows. Labels are put on here, in
the reader's language, from the codes the (cached) selectors return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from core.spreadsheets import csv_bytes

from . import charts, selectors


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[object]]
    chart: SafeString | str = ""
    note: str = ""
    footer: list[object] = field(default_factory=list)

    def csv(self) -> bytes:
        """UTF-8 with a byte order mark (Excel opens Chinese right), headers in the reader's language."""
        return csv_bytes([self.headers, *self.rows, *([self.footer] if self.footer else [])])


def _label(names: dict[str, tuple[str, str]], code: str) -> str:
    if code == selectors.NO_CLUSTER:
        return _("No cluster")
    zh, en = names.get(code, (code, code))
    return zh if (get_language() or "zh-hans").startswith("zh") else en


def _kind_headers() -> list[str]:
    return [_("Achievements"), _("Needs")]


def _by_kind_table(name: str, title: str, first: str, data: dict[str, dict[str, int]], names: dict) -> Table:
    rows = sorted(
        ([_label(names, code), kinds.get("achievements", 0), kinds.get("needs", 0)] for code, kinds in data.items()),
        key=lambda row: (-(row[1] + row[2]), row[0]),
    )
    chart = charts.bar_chart(
        title=title,
        labels=[row[0] for row in rows],
        series=[(_("Achievements"), [row[1] for row in rows]), (_("Needs"), [row[2] for row in rows])],
        empty_text=_("No data yet."),
    )
    return Table(name, title, [first, *_kind_headers()], rows, mark_safe(chart))  # noqa: S308 - escaped in charts


def posting_tables() -> list[Table]:
    names = selectors.reference_names()
    places = selectors.postings_by_place()
    return [
        _by_kind_table(
            "domains", _("Published postings by domain"), _("Domain"), selectors.postings_by_domain(), names["domain"]
        ),
        _by_kind_table("provinces", _("Published postings by province"), _("Province"), places["province"],
                       names["province"]),
        _by_kind_table("clusters", _("Published postings by regional cluster"), _("Regional cluster"),
                       places["cluster"], names["cluster"]),
    ]  # fmt: skip


def stage_labels() -> dict[str, str]:
    return {
        "suggested": _("Suggested"),
        "released": _("Released"),
        "accepted": _("Accepted by a side"),
        "in_contact": _("In contact"),
        "deal": _("Deal"),
    }


def funnel_table() -> Table:
    labels = stage_labels()
    data = selectors.match_funnel()
    rows = [[month, *(counts[stage] for stage in selectors.FUNNEL_STAGES)] for month, counts in data]
    title = _("Match funnel per month")
    chart = charts.line_chart(
        title=title,
        x_labels=[row[0][2:] for row in rows],
        series=[(labels[stage], [row[i + 1] for row in rows]) for i, stage in enumerate(selectors.FUNNEL_STAGES)],
        empty_text=_("No data yet."),
    )
    footer = [_("Total"), *(sum(row[i + 1] for row in rows) for i in range(len(selectors.FUNNEL_STAGES)))]
    return Table(
        "funnel", title, [_("Month"), *labels.values()], rows, mark_safe(chart),  # noqa: S308 - escaped in charts
        note=_("Each match counts in the month it first reached a stage."), footer=footer,
    )  # fmt: skip


def flow_tables() -> list[Table]:
    names = selectors.reference_names()["cluster"]
    flows = selectors.cluster_flows()
    tables = []
    specs = (
        ("flows_matches", _("Accepted matches between clusters"), flows["matches"]),
        ("flows_agreements", _("Agreements between clusters"), flows["agreements"]),
    )
    for name, title, data in specs:
        sources = sorted({source for source, _target in data}, key=lambda code: (code == "", code))
        targets = sorted({target for _source, target in data}, key=lambda code: (code == "", code))
        rows = sorted(
            ([_label(names, s), _label(names, t), n] for (s, t), n in data.items()),
            key=lambda row: (-row[2], row[0], row[1]),
        )
        chart = charts.matrix_chart(
            title=title,
            row_labels=[_label(names, code) for code in sources],
            column_labels=[_label(names, code) for code in targets],
            values=[[data.get((s, t), 0) for t in targets] for s in sources],
            empty_text=_("No data yet."),
        )
        headers = [_("Achievement's cluster"), _("Need's cluster"), _("Count")]
        note = _("A place in two clusters counts in both.")
        tables.append(Table(name, title, headers, rows, mark_safe(chart), note=note))  # noqa: S308 - escaped
    return tables


def reason_tables(*, role: str) -> list[Table]:
    min_count = 1 if role == "staff" else 2
    specs = (
        ("reasons_declined", "declined", _("Why sides declined matches")),
        ("reasons_rejected", "rejected", _("Why staff rejected matches")),
    )
    tables = []
    for name, kind, title in specs:
        rows = [[reason, n] for reason, n in selectors.match_reasons(kind=kind, min_count=min_count)]
        chart = charts.bar_chart(
            title=title, labels=[row[0] for row in rows], series=[(_("Count"), [row[1] for row in rows])],
            empty_text=_("No data yet."),
        )  # fmt: skip
        note = "" if role == "staff" else _("Reasons given at least twice.")
        tables.append(Table(name, title, [_("Reason"), _("Count")], rows, mark_safe(chart), note=note))  # noqa: S308
    return tables


def event_table(*, user: User, role: str) -> Table:
    organizer_ids = None if role == "staff" else selectors.organiser_organization_ids(user=user)
    events = list(selectors.event_outcomes(organizer_ids=organizer_ids))
    totals = selectors.event_outcome_totals(organizer_ids=organizer_ids)
    rows = [
        [e.title, e.starts_at.date().isoformat(), e.get_status_display(), e.capacity, e.n_registrations,
         e.n_confirmed, e.n_attended, e.n_meetings, e.n_agreements]
        for e in events
    ]  # fmt: skip
    title = _("Events and their outcomes") if role == "staff" else _("Your events and their outcomes")
    shown = rows[:15]
    chart = charts.bar_chart(
        title=title,
        labels=[row[0] for row in shown],
        series=[(_("Registrations"), [row[4] for row in shown]), (_("Attended"), [row[6] for row in shown]),
                (_("Meetings held"), [row[7] for row in shown]), (_("Agreements"), [row[8] for row in shown])],
        empty_text=_("No events yet."),
    )  # fmt: skip
    headers = [_("Event"), _("Starts"), _("Status"), _("Places"), _("Registrations"), _("Confirmed"),
               _("Attended"), _("Meetings held"), _("Agreements")]  # fmt: skip
    footer = [
        _("Total (%(count)d events)") % {"count": totals["events"]}, "", "", totals["capacity"],
        totals["registrations"], totals["confirmed"], totals["attended"], totals["meetings"], totals["agreements"],
    ]  # fmt: skip
    return Table("events", title, headers, rows, mark_safe(chart), footer=footer)  # noqa: S308


def statistics_sections(*, user: User, role: str) -> list[tuple[str, list[Table]]]:
    """The page's sections in order, each a heading and its tables."""
    return [
        (_("Postings"), posting_tables()),
        (_("Matches"), [funnel_table(), *flow_tables()]),
        (_("Reasons"), reason_tables(role=role)),
        (_("Events"), [event_table(user=user, role=role)]),
    ]


def statistics_table(*, user: User, role: str, name: str) -> Table | None:
    """One table by name (for its CSV), built alone."""
    builders = {
        "domains": lambda: posting_tables()[0],
        "provinces": lambda: posting_tables()[1],
        "clusters": lambda: posting_tables()[2],
        "funnel": funnel_table,
        "flows_matches": lambda: flow_tables()[0],
        "flows_agreements": lambda: flow_tables()[1],
        "reasons_declined": lambda: reason_tables(role=role)[0],
        "reasons_rejected": lambda: reason_tables(role=role)[1],
        "events": lambda: event_table(user=user, role=role),
    }
    builder = builders.get(name)
    return builder() if builder else None
