"""The scheduling engine alone (events/scheduling/engine.py, no database): hand-made instances with a known optimum
(one where first come, first served is provably worse), each reason for leaving a meeting out, pins, availability,
limits and the break rule, repairs that move the fewest meetings; and a property test over random small instances
against brute force: no person or table is ever double-booked, every meeting is in a slot both people are available
in, the count is the optimum and never above the bounds."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.scheduling import engine
from events.scheduling.engine import Options, Person, Place, Problem, Request, check, greedy, lp_bound, solve

FAST = Options(time_limit=3.0)


def test_the_optimum_where_first_come_first_served_places_one_meeting_of_three():
    """A meets B (both free all day) first; then A meets C and B meets D, but C and D are free in the first slot
    only. First come, first served puts A-B in the first slot and can place nothing else; the optimum moves A-B to
    the second slot and places all three."""
    problem = Problem(
        slots=(1, 2), tables=(10, 20),
        requests=(Request(1, 1, 2, 0.5), Request(2, 1, 3, 0.5), Request(3, 2, 4, 0.5)),
        people={3: Person(3, available=frozenset({1})), 4: Person(4, available=frozenset({1}))},
    )  # fmt: skip
    first_come = greedy(problem)
    solution = solve(problem, FAST)
    assert first_come.placed == 1
    assert solution.placed == 3 == solution.bound
    assert solution.status == "optimal"
    assert solution.placements[1].slot == 2 and {solution.placements[2].slot, solution.placements[3].slot} == {1}
    assert check(problem, solution.placements) == []
    assert solution.lp_bound == 3.0


def test_the_count_comes_first_then_the_score():
    """One table, one slot: the heavier meeting goes in; with two slots both do, whatever their weights."""
    requests = (Request(1, 1, 2, 0.2), Request(2, 3, 4, 0.9))
    one = solve(Problem(slots=(1,), tables=(10,), requests=requests), FAST)
    assert set(one.placements) == {2}
    assert [(u.request, u.reason) for u in one.unplaced] == [(1, engine.TABLE_SHORTAGE)]
    # Placing two light meetings beats one heavy one.
    problem = Problem(slots=(1,), tables=(10, 20),
                      requests=(Request(1, 1, 2, 0.99), Request(2, 1, 3, 0.1), Request(3, 2, 4, 0.1)))  # fmt: skip
    assert set(solve(problem, FAST).placements) == {2, 3}


def test_each_reason_for_leaving_a_meeting_out():
    # No slot both are available in.
    apart = Problem(slots=(1, 2), tables=(10,), requests=(Request(1, 1, 2),),
                    people={1: Person(1, available=frozenset({1})), 2: Person(2, available=frozenset({2}))})
    assert solve(apart, FAST).unplaced == (engine.Unplaced(1, engine.NO_COMMON_SLOT, (1, 2)),)
    # A may have one meeting.
    capped = Problem(slots=(1, 2), tables=(10,), requests=(Request(1, 1, 2, 0.9), Request(2, 1, 3, 0.1)),
                     people={1: Person(1, max_meetings=1)})  # fmt: skip
    assert solve(capped, FAST).unplaced == (engine.Unplaced(2, engine.MAX_MEETINGS, (1,)),)
    # One slot: A meets B (heavier), so A is busy for C.
    busy = Problem(slots=(1,), tables=(10, 20), requests=(Request(1, 1, 2, 0.9), Request(2, 1, 3, 0.1)))
    assert solve(busy, FAST).unplaced == (engine.Unplaced(2, engine.BUSY, (1,)),)
    # Three slots, at most two meetings in a row: A's third meeting breaks the rule wherever it goes.
    tired = Problem(
        slots=(1, 2, 3), tables=(10, 20),
        requests=(Request(1, 1, 2, 0.9), Request(2, 1, 3, 0.8), Request(3, 1, 4, 0.1)),
        people={1: Person(1, max_consecutive=2)},
    )  # fmt: skip
    solution = solve(tired, FAST)
    assert solution.unplaced == (engine.Unplaced(3, engine.BREAK_RULE, (1,)),)
    assert check(tired, solution.placements) == []
    # Every table taken by meetings that weigh more.
    short = Problem(slots=(1,), tables=(10,), requests=(Request(1, 1, 2, 0.9), Request(2, 3, 4, 0.1)))
    assert solve(short, FAST).unplaced == (engine.Unplaced(2, engine.TABLE_SHORTAGE, (3, 4)),)
    # A schedule that left a free place (only a search stopped early does): the time limit.
    loose = Problem(slots=(1,), tables=(10,), requests=(Request(1, 1, 2),))
    assert engine.explain(engine.structure(loose), {}) == (engine.Unplaced(1, engine.TIME_LIMIT, (1, 2)),)


def test_pins_and_past_slots_stay_whatever_they_cost():
    """A-B is pinned in slot 1: C-D, only free in slot 1, finds the one table taken; without the pin the solver
    would move A-B and place both. A meeting in a closed (past) slot stays too."""
    requests = (Request(1, 1, 2, 0.5, current=Place(1, 10), pinned=True), Request(2, 3, 4, 0.5))
    slots_people = {3: Person(3, available=frozenset({1})), 4: Person(4, available=frozenset({1}))}
    pinned = solve(Problem(slots=(1, 2), tables=(10,), requests=requests, people=slots_people), FAST)
    assert pinned.placements == {1: Place(1, 10)}
    assert pinned.unplaced[0].reason == engine.TABLE_SHORTAGE
    free = (Request(1, 1, 2, 0.5, current=Place(1, 10)), Request(2, 3, 4, 0.5))
    moved = solve(Problem(slots=(1, 2), tables=(10,), requests=free, people=slots_people), FAST)
    assert moved.placements == {1: Place(2, 10), 2: Place(1, 10)} and moved.moved == (1,)
    past = solve(Problem(slots=(1, 2), tables=(10,), requests=free, people=slots_people,
                         closed_slots=frozenset({1})), FAST)  # fmt: skip
    assert past.placements == {1: Place(1, 10)}  # in the past: it stays; C-D cannot go back in time


def test_contradictory_pins_are_refused():
    requests = (Request(1, 1, 2, current=Place(1, 10), pinned=True), Request(2, 1, 3, current=Place(1, 20),
                                                                             pinned=True))  # fmt: skip
    try:
        solve(Problem(slots=(1,), tables=(10, 20), requests=requests), FAST)
    except engine.ScheduleError:
        pass
    else:  # pragma: no cover
        raise AssertionError("two pinned meetings of one person in one slot")


def test_a_repair_moves_the_fewest_meetings():
    """Slot 1 holds A-B and E-F, slot 2 holds G-H; C-D (free in slot 1 only) is accepted late. Four meetings fit
    (two tables, two slots) by moving one of A-B and E-F to slot 2: one move, G-H stays; tables are kept."""
    requests = (
        Request(1, 1, 2, 0.5, current=Place(1, 10)), Request(2, 5, 6, 0.5, current=Place(1, 20)),
        Request(3, 7, 8, 0.5, current=Place(2, 10)), Request(4, 3, 4, 0.5),
    )  # fmt: skip
    problem = Problem(slots=(1, 2), tables=(10, 20), requests=requests,
                      people={3: Person(3, available=frozenset({1})), 4: Person(4, available=frozenset({1}))})
    repaired = solve(problem, Options(time_limit=3.0, stability=True))
    assert repaired.placed == 4 and len(repaired.moved) == 1
    assert repaired.placements[3] == Place(2, 10)  # G-H keeps its slot and table
    assert check(problem, repaired.placements) == []


def test_tables_are_kept_by_meetings_that_stay():
    requests = (Request(1, 1, 2, current=Place(1, 20)), Request(2, 3, 4))
    solution = solve(Problem(slots=(1,), tables=(10, 20), requests=requests), Options(time_limit=3.0, stability=True))
    assert solution.placements == {1: Place(1, 20), 2: Place(1, 10)} and solution.moved == ()


# --- Random small instances against brute force ----------------------------------------------------------------


def brute_force(problem: Problem) -> int:
    """The most meetings any schedule places, by trying every choice of slot (or none) for every request."""
    slots = problem.slots
    best = 0
    for choice in itertools.product([None, *slots], repeat=len(problem.requests)):
        placements = {}
        per_slot: dict[int, int] = {}
        for request, slot in zip(problem.requests, choice, strict=True):
            if slot is None:
                continue
            per_slot[slot] = per_slot.get(slot, 0) + 1
            if per_slot[slot] > len(problem.tables):
                break
            placements[request.id] = Place(slot, problem.tables[per_slot[slot] - 1])
        else:
            if len(placements) > best and not check(problem, placements):
                best = len(placements)
    return best


@st.composite
def instances(draw: st.DrawFn) -> Problem:
    n_slots = draw(st.integers(1, 3))
    slots = tuple(range(1, n_slots + 1))
    tables = tuple(range(10, 10 + draw(st.integers(1, 2))))
    n_people = draw(st.integers(2, 5))
    persons = {}
    for pk in range(1, n_people + 1):
        available = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(slots))))
        persons[pk] = Person(pk, available=available, max_meetings=draw(st.one_of(st.none(), st.integers(0, 2))),
                             max_consecutive=draw(st.one_of(st.none(), st.integers(1, 2))))  # fmt: skip
    pairs = draw(st.lists(st.tuples(st.integers(1, n_people), st.integers(1, n_people))
                          .filter(lambda p: p[0] != p[1]), max_size=5, unique_by=lambda p: frozenset(p)))  # fmt: skip
    weights = draw(st.lists(st.floats(0, 1), min_size=len(pairs), max_size=len(pairs)))
    requests = tuple(Request(n + 1, a, b, w) for n, ((a, b), w) in enumerate(zip(pairs, weights, strict=True)))
    problem = Problem(slots=slots, tables=tables, requests=requests, people=persons)
    # Some meetings already placed (first come, first served) and some of those pinned.
    current = greedy(problem).placements
    pins = draw(st.sets(st.sampled_from(sorted(current)))) if current else set()
    keep = draw(st.booleans())
    requests = tuple(
        Request(r.id, r.a, r.b, r.weight, current=current.get(r.id) if keep or r.id in pins else None,
                pinned=r.id in pins)
        for r in requests
    )  # fmt: skip
    return Problem(slots=slots, tables=tables, requests=requests, people=persons)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.booleans())
def test_no_schedule_ever_double_books_and_the_count_is_the_optimum(problem: Problem, stability: bool):
    solution = solve(problem, Options(time_limit=3.0, stability=stability))
    assert check(problem, solution.placements) == []  # people, tables, availability, limits, breaks, pins
    for request in problem.requests:
        if request.pinned and request.current is not None:
            assert solution.placements[request.id] == request.current
    assert solution.placed <= solution.bound <= lp_bound(problem) + 1e-6
    assert solution.placed >= greedy(problem).placed
    if not any(r.pinned for r in problem.requests):
        assert solution.placed == brute_force(problem)
    assert {u.request for u in solution.unplaced} == {r.id for r in problem.requests} - set(solution.placements)
    assert all(u.reason in engine.REASONS and u.reason != engine.TIME_LIMIT for u in solution.unplaced)
