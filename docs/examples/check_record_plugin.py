"""A fact check (stageborging_check_record), with its settings and a failing check."""

import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from stageborging import Actor, Engine, Finding, hookimpl
from stageborging.pluginhost import PluginHost


class HoursPerEntry:
    """Block an hours entry above the cap the host sets; warn on one near it."""

    name = "roc-hours-per-entry"

    @hookimpl
    def stageborging_check_record(self, fact, data, plugin_config):
        if fact.name != "hours":
            return None
        cap = plugin_config.get("cap", 80)  # this engine's setting, else the default
        if data["hours"] > cap:
            return [
                Finding(
                    "roc.hours_over_cap",
                    "block",
                    f"More than {cap} hours in one entry.",
                    f"Meer dan {cap} uur in een keer.",
                    params={"cap": str(cap)},
                )
            ]
        if data["hours"] > cap * 3 // 4:
            return [Finding("roc.hours_near_cap", "warn", "Many hours in one entry.")]
        return None


class BrokenCheck:
    """A fact check whose data source is down: it raises on every call."""

    name = "roc-broken-fact-check"

    @hookimpl
    def stageborging_check_record(self, fact):
        raise ConnectionError("register unavailable")


student = Actor("stu-4711", "student")
details = {"student": "stu-4711", "programme": "ict", "planned_start": "2027-02-01",
           "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
now = datetime(2027, 3, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))

with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "a.db") as engine:
    sid = engine.open("hbo_stage", actor=Actor("po-1", "placement_office"), data=details).stream_id
    stream, hours = engine.stream(sid), engine.lifecycle("hbo_stage").facts_by_name["hours"]

# The engine asks its plugin host, with its own settings, before it records a fact:
host = PluginHost([HoursPerEntry()], config={"roc-hours-per-entry": {"cap": 40}})
for amount in (24, 36, 60):
    findings, plugins = host.check_record(stream, hours, student, {"hours": amount}, now)
    codes = [f"{f.code} ({f.severity})" for f in findings] or ["nothing to say"]
    print(f"{amount} hours: {', '.join(codes)}; asked {', '.join(p.name for p in plugins)}")

broken = PluginHost([BrokenCheck()])
findings, _ = broken.check_record(stream, hours, student, {"hours": 8}, now)
for f in findings:
    print(f"fail closed: {f.code} ({f.severity}) from {f.source}: {f.message}")
