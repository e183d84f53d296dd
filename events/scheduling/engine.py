"""The scheduling engine: which accepted 1:1 meetings go in which slot at which table. Pure Python with OR-Tools
CP-SAT; no Django here (dataclasses in, dataclasses out), so that it is tested and benchmarked alone.

The model: a boolean ``x[r, s]`` for each request ``r`` and each open slot ``s`` where both people are available
and neither has a fixed meeting (pinned, or in a closed, past slot); each request at most once; each person at most
once per slot; each slot at most as many meetings as tables are free there; each person at most their maximum of
meetings; and the break rule: in every run of ``k + 1`` consecutive slots a person meets at most ``k`` times. Tables
are then given slot by slot (a meeting staying in its slot keeps its table; fixed meetings keep theirs), which any
count within the tables allows.

The objective is lexicographic: first as many meetings as possible, then the fewest existing meetings moved or
dropped (when ``stability`` is asked for, for re-scheduling), then the highest total match score; written as
weights in one objective (one solve uses the whole time limit; two solves each paid CP-SAT's presolve and did worse
on the bench). The search starts from a complete schedule (meetings where they are, the rest first come, first
served), so it never answers with less than first come, first served would.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

# Why a request was left out, for the organiser (the service turns each into a sentence naming the people).
NO_COMMON_SLOT = "no_common_slot"  # no open slot where both are available (their fixed meetings counted)
MAX_MEETINGS = "max_meetings"  # one of them has as many meetings as they may
BUSY = "busy"  # in every slot both are available, one of them meets someone else
BREAK_RULE = "break_rule"  # every slot left would break one of them's run of consecutive meetings
TABLE_SHORTAGE = "table_shortage"  # they are both free in some slot, but every table there is taken
TIME_LIMIT = "time_limit"  # none of the above: the solver stopped before proving it could not do better
REASONS = (NO_COMMON_SLOT, MAX_MEETINGS, BUSY, BREAK_RULE, TABLE_SHORTAGE, TIME_LIMIT)

SCORE_SCALE = 1000  # a weight (a match score, 0 to 1) counts as round(1000 * weight) in phase 2


class ScheduleError(ValueError):
    """The problem contradicts itself (two fixed meetings in one place); nothing is solved."""


@dataclass(frozen=True)
class Place:
    slot: int
    table: int


@dataclass(frozen=True)
class Person:
    """A participant: the slots they are available in (None: every slot), their most meetings (None: no limit) and
    their most meetings in a row (None or 0: no break rule)."""

    id: int
    available: frozenset[int] | None = None
    max_meetings: int | None = None
    max_consecutive: int | None = None

    def free_in(self, slot: int) -> bool:
        return self.available is None or slot in self.available


@dataclass(frozen=True)
class Request:
    """An accepted meeting request between ``a`` and ``b``, weighing ``weight`` (the match score); ``current`` is
    where it is now (if placed), ``pinned`` keeps it there whatever happens."""

    id: int
    a: int
    b: int
    weight: float = 0.0
    current: Place | None = None
    pinned: bool = False


@dataclass(frozen=True)
class Problem:
    slots: tuple[int, ...]  # in time order
    tables: tuple[int, ...]  # in the order free tables are given
    requests: tuple[Request, ...]
    people: Mapping[int, Person] = field(default_factory=dict)  # a person not listed has no limits
    closed_slots: frozenset[int] = frozenset()  # past: nothing new goes there; meetings there stay (fixed)

    def person(self, person_id: int) -> Person:
        return self.people.get(person_id) or Person(person_id)


@dataclass(frozen=True)
class Options:
    time_limit: float = 10.0  # seconds, both phases together
    workers: int = 2
    seed: int = 20260911
    stability: bool = False  # re-scheduling: after the count, move as few existing meetings as possible


@dataclass(frozen=True)
class Unplaced:
    request: int
    reason: str
    people: tuple[int, ...] = ()  # the participants the reason is about


@dataclass(frozen=True)
class Solution:
    placements: dict[int, Place]  # request id -> place, fixed meetings included
    unplaced: tuple[Unplaced, ...]
    placed: int
    bound: int  # no schedule places more meetings than this (fixed meetings included): the lower of the two below
    score: float  # the total weight placed
    moved: tuple[int, ...]  # requests that had a place and now have another one, or none
    # "optimal": the count and then moves and score proven best; "count_optimal": the count proven (it reached the
    # bound), moves and score the best found in time; "feasible": the time limit came first; "unknown": nothing found
    status: str
    seconds: float  # wall time of the whole solve
    cp_bound: int | None = None  # CP-SAT's proven bound on phase 1, in meetings
    lp_bound: float | None = None  # the LP relaxation's


@dataclass
class Structure:
    """The problem as the models read it: what is fixed, each free request's candidate slots, and the limits left
    once the fixed meetings are counted. Shared by CP-SAT, the LP bound and the greedy placement."""

    problem: Problem
    fixed: dict[int, Place]
    free: list[Request]
    candidates: dict[int, list[int]]  # free request id -> open slots it may take
    tables_left: dict[int, int]  # slot -> tables not taken by fixed meetings
    meetings_left: dict[int, int | None]  # person -> meetings they may still have (None: no limit)
    fixed_slots: dict[int, set[int]]  # person -> slots of their fixed meetings
    windows: list[tuple[int, tuple[int, ...], int]]  # (person, slots of a run of k + 1, meetings left in it)

    @property
    def fixed_count(self) -> int:
        return len(self.fixed)


def structure(problem: Problem) -> Structure:
    slots = list(problem.slots)
    slot_set = set(slots)
    fixed: dict[int, Place] = {}
    free: list[Request] = []
    taken: set[tuple[int, int]] = set()
    fixed_slots: dict[int, set[int]] = defaultdict(set)
    for request in problem.requests:
        if request.a == request.b:
            raise ScheduleError(f"request {request.id} has one person")
        current = request.current
        stays = current is not None and (request.pinned or current.slot in problem.closed_slots)
        if current is not None and stays and current.slot in slot_set:
            if (current.slot, current.table) in taken:
                raise ScheduleError(f"two fixed meetings at table {current.table} in slot {current.slot}")
            for person in (request.a, request.b):
                if current.slot in fixed_slots[person]:
                    raise ScheduleError(f"person {person} has two fixed meetings in slot {current.slot}")
                fixed_slots[person].add(current.slot)
            taken.add((current.slot, current.table))
            fixed[request.id] = current
        else:
            free.append(request)
    tables_left = {slot: len(problem.tables) for slot in slots}
    for place in fixed.values():
        tables_left[place.slot] -= 1
    people_ids = {person for request in problem.requests for person in (request.a, request.b)}
    meetings_left: dict[int, int | None] = {}
    for person_id in people_ids:
        person = problem.person(person_id)
        used = len(fixed_slots.get(person_id, ()))
        meetings_left[person_id] = None if person.max_meetings is None else max(person.max_meetings - used, 0)
    open_slots = [slot for slot in slots if slot not in problem.closed_slots]
    candidates: dict[int, list[int]] = {}
    for request in free:
        a, b = problem.person(request.a), problem.person(request.b)
        if meetings_left[request.a] == 0 or meetings_left[request.b] == 0:
            candidates[request.id] = []
            continue
        candidates[request.id] = [
            slot for slot in open_slots
            if a.free_in(slot) and b.free_in(slot) and tables_left[slot] > 0
            and slot not in fixed_slots.get(request.a, ()) and slot not in fixed_slots.get(request.b, ())
        ]  # fmt: skip
    windows = []
    for person_id in sorted(people_ids):
        k = problem.person(person_id).max_consecutive
        if not k or k + 1 > len(slots):
            continue
        mine = fixed_slots.get(person_id, set())
        for start in range(len(slots) - k):
            run = tuple(slots[start : start + k + 1])
            windows.append((person_id, run, max(k - sum(1 for slot in run if slot in mine), 0)))
    return Structure(problem, fixed, free, candidates, tables_left, meetings_left, fixed_slots, windows)


@dataclass
class LinearRows:
    """The constraints of the placement model over the variables ``(request, slot)``: rows of variable indexes, each
    summing to at most its right-hand side (every coefficient is 1)."""

    variables: list[tuple[int, int]]
    rows: list[tuple[list[int], int]]


def linear_rows(shape: Structure) -> LinearRows:
    variables: list[tuple[int, int]] = []
    index: dict[tuple[int, int], int] = {}
    for request in shape.free:
        for slot in shape.candidates[request.id]:
            index[(request.id, slot)] = len(variables)
            variables.append((request.id, slot))
    rows: list[tuple[list[int], int]] = []
    by_person_slot: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_person: dict[int, list[int]] = defaultdict(list)
    by_slot: dict[int, list[int]] = defaultdict(list)
    for request in shape.free:
        mine = [index[(request.id, slot)] for slot in shape.candidates[request.id]]
        if len(mine) > 1:
            rows.append((mine, 1))
        for slot in shape.candidates[request.id]:
            variable = index[(request.id, slot)]
            by_slot[slot].append(variable)
            for person in (request.a, request.b):
                by_person_slot[(person, slot)].append(variable)
                by_person[person].append(variable)
    for members in by_person_slot.values():
        if len(members) > 1:
            rows.append((members, 1))
    for slot, members in by_slot.items():
        if len(members) > shape.tables_left[slot]:
            rows.append((members, shape.tables_left[slot]))
    for person, members in by_person.items():
        left = shape.meetings_left.get(person)
        if left is not None and len(members) > left:
            rows.append((members, left))
    for person, run, left in shape.windows:
        members = [v for slot in run for v in by_person_slot.get((person, slot), [])]
        if len(members) > left:
            rows.append((members, left))
    return LinearRows(variables, rows)


def _weight(request: Request) -> int:
    return max(round(SCORE_SCALE * request.weight), 0)


def solve(problem: Problem, options: Options | None = None) -> Solution:
    """The best schedule CP-SAT finds within the time limit (see the module's docstring for the model).

    The search starts from a complete schedule (``warm_start``: meetings where they are, the rest first come, first
    served), so that it never answers with less than that, and it is solved once with the lexicographic objective
    written as weights: a meeting placed outweighs every move and every score together, a meeting kept in its slot
    (``stability``) outweighs every score together. The bound reported is the lower of the LP relaxation's
    (HiGHS) and CP-SAT's (its bound on the weighted objective, divided by a meeting's weight)."""
    options = options or Options()
    started = time.monotonic()
    deadline = started + options.time_limit - min(0.3, options.time_limit / 10)  # room to write the answer
    shape = structure(problem)
    rows = linear_rows(shape)
    lp = _lp(shape, rows)
    lp_count = math.floor(lp - shape.fixed_count + 1e-6)
    requests = {request.id: request for request in problem.requests}
    start = warm_start(shape)
    chosen_slots = dict(start)
    cp_bound = len({r for r, _ in rows.variables})
    verdict = "optimal"
    if rows.variables:
        model = cp_model.CpModel()
        x = [model.NewBoolVar(f"x{r}_{s}") for r, s in rows.variables]
        for members, rhs in rows.rows:
            if rhs == 1:
                model.AddAtMostOne(x[i] for i in members)
            else:
                model.Add(sum(x[i] for i in members) <= rhs)
        scores = [_weight(requests[r]) for r, _ in rows.variables]
        stays = [
            bool(options.stability and requests[r].current is not None and requests[r].current.slot == s)
            for r, s in rows.variables
        ]  # fmt: skip
        all_scores = sum(_weight(request) for request in shape.free) + 1
        stay_weight = all_scores if options.stability else 0
        meeting_weight = stay_weight * (sum(1 for request in shape.free if request.current is not None) + 1)
        meeting_weight += all_scores
        model.Maximize(
            sum((meeting_weight + scores[i] + (stay_weight if stays[i] else 0)) * x[i] for i in range(len(x)))
        )
        for i, (r, s) in enumerate(rows.variables):
            model.AddHint(x[i], start.get(r) == s)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = options.workers
        solver.parameters.random_seed = options.seed
        solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.05)
        status = solver.Solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = {r: s for (r, s), variable in zip(rows.variables, x, strict=True) if solver.Value(variable)}
            if len(found) >= len(chosen_slots):
                chosen_slots = found
            cp_bound = math.floor(solver.BestObjectiveBound() / meeting_weight + 1e-9)
            verdict = "optimal" if status == cp_model.OPTIMAL else "feasible"
        else:
            verdict = "unknown"  # nothing better than the warm start in time: it stands
    placements = assign_tables(shape, chosen_slots)
    bound = max(min(cp_bound, lp_count), len(chosen_slots)) + shape.fixed_count
    if verdict != "optimal" and len(placements) >= bound:
        verdict = "count_optimal"
    solution = finish(shape, placements, bound=bound, status=verdict, started=started)
    return replace(solution, cp_bound=cp_bound + shape.fixed_count, lp_bound=lp)


def warm_start(shape: Structure) -> dict[int, int]:
    """A complete schedule to start the search from (request -> slot, fixed meetings left out): each placed meeting
    in its current slot while that keeps every rule, then the others first come, first served."""
    problem = shape.problem
    order = {slot: n for n, slot in enumerate(problem.slots)}
    busy: dict[int, set[int]] = defaultdict(set)
    per_slot: dict[int, int] = defaultdict(int)
    chosen: dict[int, int] = {}

    def fits(request: Request, slot: int) -> bool:
        if slot in busy[request.a] or slot in busy[request.b] or per_slot[slot] >= shape.tables_left[slot]:
            return False
        for person in (request.a, request.b):
            left = shape.meetings_left.get(person)
            if left is not None and len(busy[person]) >= left:
                return False
            if _breaks(problem, order, person, busy[person] | shape.fixed_slots.get(person, set()), slot):
                return False
        return True

    def take(request: Request, slot: int) -> None:
        chosen[request.id] = slot
        busy[request.a].add(slot)
        busy[request.b].add(slot)
        per_slot[slot] += 1

    for request in shape.free:
        current = request.current
        if current is not None and current.slot in shape.candidates[request.id] and fits(request, current.slot):
            take(request, current.slot)
    for request in shape.free:
        if request.id in chosen:
            continue
        slot = next((slot for slot in shape.candidates[request.id] if fits(request, slot)), None)
        if slot is not None:
            take(request, slot)
    return chosen


def _breaks(problem: Problem, order: Mapping[int, int], person_id: int, busy: Iterable[int], slot: int) -> bool:
    """Whether one more meeting of the person in ``slot`` makes a run longer than their break rule allows."""
    k = problem.person(person_id).max_consecutive
    if not k:
        return False
    at = order[slot]
    mine = {order[s] for s in busy} | {at}
    return any(
        sum(1 for n in range(start, start + k + 1) if n in mine) > k for start in range(max(at - k, 0), at + 1)
    )


def _lp(shape: Structure, rows: LinearRows) -> float:
    """The LP relaxation's most meetings (fixed ones included): every ``x`` between 0 and 1."""
    n = len(rows.variables)
    if n == 0:
        return float(shape.fixed_count)
    if not rows.rows:  # nothing binds: every request with a candidate slot is placed
        return float(shape.fixed_count + len({r for r, _ in rows.variables}))
    data, indices, pointers, rhs = [], [], [0], []
    for members, limit in rows.rows:
        indices.extend(members)
        data.extend([1.0] * len(members))
        pointers.append(len(indices))
        rhs.append(limit)
    matrix = csr_matrix((np.array(data), np.array(indices), np.array(pointers)), shape=(len(rhs), n))
    result = linprog(-np.ones(n), A_ub=matrix, b_ub=np.array(rhs, dtype=float), bounds=(0, 1), method="highs")
    if result.status != 0:  # cannot happen for this model (0 is feasible, all bounded); say so rather than guess
        raise ScheduleError(f"the LP relaxation was not solved: {result.message}")
    return shape.fixed_count - float(result.fun)


def lp_bound(problem: Problem) -> float:
    """The LP relaxation's bound on the meetings placed, fixed meetings included (a float)."""
    shape = structure(problem)
    return _lp(shape, linear_rows(shape))


def assign_tables(shape: Structure, in_slot: Mapping[int, int]) -> dict[int, Place]:
    """Tables for the meetings given a slot each: fixed meetings keep theirs, a meeting staying in its slot keeps
    its table, the others take the free tables in order."""
    problem = shape.problem
    placements: dict[int, Place] = dict(shape.fixed)
    taken: dict[int, set[int]] = defaultdict(set)
    for place in shape.fixed.values():
        taken[place.slot].add(place.table)
    requests = {request.id: request for request in problem.requests}
    later = []
    for r, slot in sorted(in_slot.items()):
        current = requests[r].current
        if current is not None and current.slot == slot and current.table not in taken[slot]:
            placements[r] = current
            taken[slot].add(current.table)
        else:
            later.append((r, slot))
    for r, slot in later:
        table = next(t for t in problem.tables if t not in taken[slot])
        placements[r] = Place(slot, table)
        taken[slot].add(table)
    return placements


def finish(shape: Structure, placements: dict[int, Place], *, bound: int, status: str, started: float) -> Solution:
    problem = shape.problem
    requests = {request.id: request for request in problem.requests}
    moved = tuple(
        request.id for request in problem.requests
        if request.current is not None and placements.get(request.id) != request.current
    )  # fmt: skip
    unplaced = explain(shape, placements)
    return Solution(
        placements=placements,
        unplaced=unplaced,
        placed=len(placements),
        bound=max(bound, len(placements)),
        score=sum(requests[r].weight for r in placements),
        moved=moved,
        status=status,
        seconds=time.monotonic() - started,
    )


def explain(shape: Structure, placements: Mapping[int, Place]) -> tuple[Unplaced, ...]:
    """Why each request left out is left out, in this order of reasons: no common slot, a maximum reached, busy in
    every common slot, the break rule, no table; else the time limit."""
    problem = shape.problem
    slot_order = {slot: n for n, slot in enumerate(problem.slots)}
    busy: dict[int, set[int]] = defaultdict(set)
    per_slot: dict[int, int] = defaultdict(int)
    requests = {request.id: request for request in problem.requests}
    for r, place in placements.items():
        per_slot[place.slot] += 1
        busy[requests[r].a].add(place.slot)
        busy[requests[r].b].add(place.slot)

    def breaks_rule(person_id: int, slot: int) -> bool:
        return _breaks(problem, slot_order, person_id, busy[person_id], slot)

    out = []
    for request in problem.requests:
        if request.id in placements:
            continue
        pair = (request.a, request.b)
        common = shape.candidates.get(request.id, [])
        if not common:
            no_room = [p for p in pair if shape.meetings_left.get(p) == 0]
            if no_room:
                out.append(Unplaced(request.id, MAX_MEETINGS, tuple(no_room)))
            elif _both_available(shape, request):  # only slots whose every table holds a fixed meeting
                out.append(Unplaced(request.id, TABLE_SHORTAGE, pair))
            else:
                out.append(Unplaced(request.id, NO_COMMON_SLOT, pair))
            continue
        full = [
            p for p in pair
            if problem.person(p).max_meetings is not None and len(busy[p]) >= problem.person(p).max_meetings
        ]  # fmt: skip
        if full:
            out.append(Unplaced(request.id, MAX_MEETINGS, tuple(full)))
            continue
        free = [slot for slot in common if slot not in busy[request.a] and slot not in busy[request.b]]
        if not free:
            out.append(Unplaced(request.id, BUSY, tuple(p for p in pair if any(s in busy[p] for s in common))))
            continue
        rested = [slot for slot in free if not breaks_rule(request.a, slot) and not breaks_rule(request.b, slot)]
        if not rested:
            tired = tuple(p for p in pair if any(breaks_rule(p, slot) for slot in free))
            out.append(Unplaced(request.id, BREAK_RULE, tired))
            continue
        if all(per_slot[slot] >= len(problem.tables) for slot in rested):
            out.append(Unplaced(request.id, TABLE_SHORTAGE, pair))
            continue
        # Both free in a slot with a table: only a search stopped early leaves that (an optimal one never does).
        out.append(Unplaced(request.id, TIME_LIMIT, pair))
    return tuple(out)


def _both_available(shape: Structure, request: Request) -> bool:
    problem = shape.problem
    a, b = problem.person(request.a), problem.person(request.b)
    return any(
        a.free_in(slot) and b.free_in(slot) and slot not in problem.closed_slots
        and slot not in shape.fixed_slots.get(request.a, ()) and slot not in shape.fixed_slots.get(request.b, ())
        for slot in problem.slots
    )  # fmt: skip


def greedy(problem: Problem, order: Iterable[int] | None = None) -> Solution:
    """First come, first served, as the product placed meetings before the scheduler: each request in turn (in
    ``order``, by default as given) in the earliest open slot where both are free and available, within their
    maximum and the break rule, at the first free table. The baseline the bench compares with."""
    started = time.monotonic()
    shape = structure(problem)
    requests = {request.id: request for request in problem.requests}
    ids = list(order) if order is not None else [request.id for request in shape.free]
    placements: dict[int, Place] = dict(shape.fixed)
    busy: dict[int, set[int]] = defaultdict(set)
    tables: dict[int, set[int]] = defaultdict(set)
    for r, place in shape.fixed.items():
        busy[requests[r].a].add(place.slot)
        busy[requests[r].b].add(place.slot)
        tables[place.slot].add(place.table)
    slot_order = {slot: n for n, slot in enumerate(problem.slots)}

    def fits(person_id: int, slot: int) -> bool:
        person = problem.person(person_id)
        if person.max_meetings is not None and len(busy[person_id]) >= person.max_meetings:
            return False
        return not _breaks(problem, slot_order, person_id, busy[person_id], slot)

    for r in ids:
        request = requests[r]
        if r in placements:
            continue
        for slot in shape.candidates.get(r, []):
            if slot in busy[request.a] or slot in busy[request.b]:
                continue
            if not (fits(request.a, slot) and fits(request.b, slot)):
                continue
            table = next((t for t in problem.tables if t not in tables[slot]), None)
            if table is None:
                continue
            placements[r] = Place(slot, table)
            busy[request.a].add(slot)
            busy[request.b].add(slot)
            tables[slot].add(table)
            break
    return finish(shape, placements, bound=len(placements), status="feasible", started=started)


def check(problem: Problem, placements: Mapping[int, Place], *, limits: bool = True) -> list[str]:
    """What a schedule breaks (empty when it breaks nothing): a person or a table twice in a slot, a moved fixed
    meeting, a meeting at an unknown place or newly in a closed slot; with ``limits``, also a person in a slot they
    are not available in (fixed meetings aside), more meetings than their maximum, a run longer than the break rule
    (fixed meetings counted: limits lowered after the fact are not the schedule's fault, hence the switch). For
    tests, and (without ``limits``) for the service's last look before writing."""
    problems: list[str] = []
    requests = {request.id: request for request in problem.requests}
    seen_people: dict[tuple[int, int], int] = {}
    seen_tables: dict[tuple[int, int], int] = {}
    counts: dict[int, list[int]] = defaultdict(list)
    order = {slot: n for n, slot in enumerate(problem.slots)}
    for r, place in placements.items():
        request = requests[r]
        fixed = request.current is not None and (request.pinned or request.current.slot in problem.closed_slots)
        if fixed and place != request.current:
            problems.append(f"fixed meeting {r} moved")
        if place.table not in problem.tables or place.slot not in order:
            problems.append(f"meeting {r} at an unknown place")
            continue
        if (place.slot, place.table) in seen_tables:
            problems.append(f"table {place.table} twice in slot {place.slot}")
        seen_tables[(place.slot, place.table)] = r
        for person in (request.a, request.b):
            if (person, place.slot) in seen_people:
                problems.append(f"person {person} twice in slot {place.slot}")
            seen_people[(person, place.slot)] = r
            if limits and not fixed and not problem.person(person).free_in(place.slot):
                problems.append(f"person {person} not available in slot {place.slot}")
            counts[person].append(order[place.slot])
        if not fixed and place.slot in problem.closed_slots:
            problems.append(f"meeting {r} placed in a closed slot")
    for person, slots in counts.items() if limits else ():
        rules = problem.person(person)
        if rules.max_meetings is not None and len(slots) > rules.max_meetings:
            problems.append(f"person {person} has {len(slots)} meetings")
        k = rules.max_consecutive
        if k:
            mine = set(slots)
            for start in range(len(problem.slots) - k):
                if sum(1 for n in range(start, start + k + 1) if n in mine) > k:
                    problems.append(f"person {person} meets more than {k} times in a row")
                    break
    return problems


def people_of(requests: Sequence[Request]) -> set[int]:
    return {person for request in requests for person in (request.a, request.b)}
