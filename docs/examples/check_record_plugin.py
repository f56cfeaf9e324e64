"""A fact check (stageborging_check_record), with its settings and a failing check."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, Finding, Refused, hookimpl


class ApplicationCap:
    """Block an application past the cap the host sets; warn on the last one before it."""

    name = "roc-application-cap"

    @hookimpl
    def stageborging_check_record(self, stream, fact, plugin_config):
        if fact.name != "application_sent":
            return None
        cap = plugin_config.get("cap", 40)  # this engine's setting, else the default
        sent = len(stream.facts.get("applications", {}))
        if sent >= cap:
            return [
                Finding(
                    "roc.applications_capped",
                    "block",
                    f"{cap} applications sent: ask for assisted search.",
                    f"{cap} sollicitaties verstuurd: vraag om begeleid zoeken.",
                    params={"cap": str(cap)},
                )
            ]
        if sent == cap - 1:
            return [Finding("roc.applications_near_cap", "warn", "The last application.")]
        return None


class BrokenCheck:
    """A fact check whose data source is down: it raises on every call."""

    name = "roc-broken-fact-check"

    @hookimpl
    def stageborging_check_record(self, fact):
        raise ConnectionError("register unavailable")


office, student = Actor("po-1", "placement_office"), Actor("stu-4711", "student")
details = {"student": "stu-4711", "programme": "ict", "planned_start": "2027-02-01",
           "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
settings = {"roc-application-cap": {"cap": 2}}

with tempfile.TemporaryDirectory() as tmp:
    with Engine(Path(tmp) / "a.db", plugins=[ApplicationCap()], config=settings) as engine:
        sid = engine.open("hbo_stage", actor=office, data=details).stream_id
        engine.fire(sid, "begin_search", actor=student)
        for n in (1, 2, 3):
            data = {"application": f"a{n}", "employer": f"lb-{n}"}
            decision = engine.check_record(sid, "application_sent", actor=student, data=data)
            codes = [f"{f.code} ({f.severity})" for f in decision.findings] or ["nothing to say"]
            print(f"application {n}: {', '.join(codes)}")
            try:
                engine.record(sid, "application_sent", actor=student, data=data)
            except Refused as refusal:
                print(f"  refused and recorded as event {refusal.event.seq}")

    with Engine(Path(tmp) / "b.db", plugins=[BrokenCheck()]) as engine:
        sid = engine.open("hbo_stage", actor=office, data=details).stream_id
        engine.fire(sid, "begin_search", actor=student)
        data = {"application": "a1", "employer": "lb-1"}
        for f in engine.check_record(sid, "application_sent", actor=student, data=data).findings:
            print(f"fail closed: {f.code} ({f.severity}) from {f.source}: {f.message}")
