"""An institution's guidance steps (stageborging_guidance_steps), checked at start-up."""

import tempfile
from pathlib import Path

from stageborging import Engine, GuidanceStep, PluginError, hookimpl


class RocGuidance:
    """The ROC's guidance agreements: what must happen by when, and who hears when it does not."""

    name = "roc-guidance"

    @hookimpl
    def stageborging_guidance_steps(self):
        return [
            GuidanceStep(
                name="search_check_in",
                anchor="entered:searching",
                offset_days=14,
                repeat_days=14,
                done_by=("guidance_contact",),
                escalate_to="coach",
                description="Check in with a searching student every two weeks.",
                description_nl="Spreek een zoekende student elke twee weken.",
            ),
            GuidanceStep(
                name="all_signatures",
                anchor="planned_start",
                offset_days=-7,
                done_by=("confirm_signatures",),
                escalate_to="placement_office",
                lifecycles=("mbo_bpv",),
                description="Every signature in a week before the start.",
                description_nl="Alle handtekeningen binnen, een week voor de start.",
            ),
        ]


class MisspelledAnchor:
    """A step anchored on a state no internship lifecycle has: refused at start-up."""

    name = "roc-typo"

    @hookimpl
    def stageborging_guidance_steps(self):
        return [
            GuidanceStep(
                name="search_check_in",
                anchor="entered:search",
                offset_days=14,
                done_by=("guidance_contact",),
                escalate_to="coach",
            )
        ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "school.db"
        with Engine(db, plugins=[RocGuidance()]) as engine:
            for step in engine.guidance_steps:
                every = f", every {step.repeat_days} days" if step.repeat_days else ""
                print(
                    f"{step.name}: {step.anchor} {step.offset_days:+d} days{every};"
                    f" done by {', '.join(step.done_by)}; escalates to {step.escalate_to}"
                )
        try:
            Engine(db, plugins=[MisspelledAnchor()])
        except PluginError as error:
            print(f"refused to start: {error}")


if __name__ == "__main__":
    main()
