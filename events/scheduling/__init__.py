"""The docking-event scheduler: places accepted 1:1 meetings in slots and at tables.

``engine`` (pure Python with OR-Tools CP-SAT and SciPy; nothing there imports Django) solves a ``Problem`` given as
dataclasses, and gives the LP-relaxation bound and the greedy first-come placement the bench compares with;
``service`` reads an event, calls the engine and writes the plan the organiser previews and applies.
"""
