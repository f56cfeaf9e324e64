"""A plugin with settings: read in each hook from plugin_config, checked at start-up."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, Finding, PluginError, hookimpl

DEFAULT_MINIMUM = 4  # when the host sets nothing


def minimum(settings):
    """The minimum in *settings* (this plugin's part of the host's config), else the default."""
    value = settings.get("minimum", DEFAULT_MINIMUM)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"minimum must be a whole number, not {value!r}")
    return value


class MinimumApplications:
    """Warn when a student asks for assisted search after fewer applications than set.

    It keeps no settings of its own: each engine passes its own in ``plugin_config``,
    so one instance serves two institutions with different minimums.
    """

    name = "roc-minimum-applications"

    @hookimpl
    def stageborging_configure(self, plugin_config):
        minimum(plugin_config)  # a setting it cannot use stops the engine at start-up

    @hookimpl
    def stageborging_check_transition(self, stream, transition, plugin_config):
        if transition.trigger != "request_assistance":
            return None
        sent, needed = len(stream.facts.get("applications", {})), minimum(plugin_config)
        if sent >= needed:
            return None
        return [
            Finding(
                "roc.few_applications",
                "warn",
                f"Only {sent} of {needed} applications before asking for assisted search.",
                f"Pas {sent} van {needed} sollicitaties voor de vraag om begeleid zoeken.",
                params={"sent": str(sent), "needed": str(needed)},
            )
        ]


def ask_for_assistance(engine: Engine) -> str:
    office, student = Actor("po-1", "placement_office"), Actor("stu-1", "student")
    details = {"student": "stu-1", "programme": "ict", "planned_start": "2027-02-01",
               "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
    sid = engine.open("hbo_stage", actor=office, data=details).stream_id
    engine.fire(sid, "begin_search", actor=student)
    application = {"application": "a-1", "employer": "lb-1"}
    engine.record(sid, "application_sent", actor=student, data=application)
    event = engine.fire(sid, "request_assistance", actor=student)
    return f"{event.to_state} {[f.message for f in event.findings]}"


def main() -> None:
    plugin = MinimumApplications()  # one plugin, two institutions of a school group
    north = {"roc-minimum-applications": {"minimum": 1}}
    south = {"roc-minimum-applications": {"minimum": 3}}
    with tempfile.TemporaryDirectory() as tmp:
        with (
            Engine(Path(tmp) / "north.db", plugins=[plugin], config=north) as first,
            Engine(Path(tmp) / "south.db", plugins=[plugin], config=south) as second,
        ):
            print("north:", ask_for_assistance(first))
            print("south:", ask_for_assistance(second))
        try:
            bad = {"roc-minimum-applications": {"minimum": "four"}}
            Engine(Path(tmp) / "west.db", plugins=[plugin], config=bad)
        except PluginError as error:
            print(f"refused to start: {error}")


if __name__ == "__main__":
    main()
