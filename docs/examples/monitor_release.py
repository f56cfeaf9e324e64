"""A monitoring release from the API: nine students, one table, and what was hidden.

Six students of one programme find a place within a fortnight, three of another are
still searching: counts of 1 to 4 are never published, nor anything that gives one back.
"""

import tempfile
from datetime import date
from pathlib import Path

from attrs import evolve

from stageborging import Actor, Engine
from stageborging.monitoring import release_json, table_text
from stageborging.testing import Cast, FakeClock, Journey, KitRegister

with tempfile.TemporaryDirectory() as folder:
    clock = FakeClock()  # Sunday 10 January 2027
    with Engine(Path(folder) / "school.db", clock=clock, plugins=[KitRegister()]) as engine:
        started = []
        for n in range(9):
            steps = Journey(engine, clock, cast=evolve(Cast(), student=Actor(f"s-{n}", "student")))
            sid = steps.open(programme="care" if n < 6 else "ict", student=f"s-{n}")
            steps.search(sid)
            started.append((steps, sid))
        clock.advance(days=14)
        for steps, sid in started[:6]:
            steps.place(sid) and steps.draft(sid) and steps.sign(sid) and steps.confirm(sid)

        release = engine.monitor(date(2027, 1, 24), min_cell=5)
        print(table_text(release.table("time_to_placement")))  # quartiles only
        print(table_text(release.table("without_place")))  # the three: hidden, with margins
        print(release.hidden, "cells hidden; for the school's eyes only:", release.suppressed)
        published = release_json(release)  # every hidden cell alike: no value, no reason
        print(published.count('"status": "suppressed"'), "cells suppressed in the JSON")
