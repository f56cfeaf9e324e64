"""The default guidance steps and deadlines of an MBO school (DOMAIN §6, §8b).

T is the planned start, S the day the student entered ``searching``.

=============================  ===========================================  =======================
step                           due                                          on a miss
=============================  ===========================================  =======================
``orientation_training``       T − 16 weeks, while orienting or searching   coach told
``search_check_in``            every 2 weeks while searching                coach told
``search_stalled``             the 4th application without an invitation   assisted search
                                                                            proposed to the coach
``search_stalled_weeks``       S + 4 weeks                                  the same
``search_escalation``          S + 6 weeks                                  assisted search, the
                                                                            placement office told
``search_escalation_start``    T − 4 weeks (T − 8 in VOG programmes)        the same
``employer_verification``      5 working days after placement_proposed      placement office told
``all_signatures``             T − 5 working days                           placement office told
``start_intake``               2 weeks after the start                      team lead told
``guidance_contacts``          3 contacts by the planned end                coach told
``on_site_contact``            1 of them on site (location ``on_site``)     coach told
``midterm_review``             60% of the planned hours                     coach told
``hours_check``                every 2 weeks active: 80% of the hours due   coach told
                               (days suspended or ill left out)
``final_assessment``           10 working days after the planned end        team lead told
=============================  ===========================================  =======================
"""

from __future__ import annotations

from attrs import evolve
from stageborging import GuidanceStep

from .settings import Settings

__all__ = ["STEP_NAMES", "default_steps"]

#: Before and during the student's own search (a replacement search after a termination,
#: in assisted_search, is no time for the training again).
_SEARCH = ("orientation", "searching")
_BEFORE_SIGNED = ("searching", "assisted_search", "placement_proposed", "employer_verified",
                  "agreement_pending")  # fmt: skip
_RUNNING = ("active", "suspended")
_MBO = ("mbo_bpv",)


def _steps(settings: Settings) -> list[GuidanceStep]:
    vog = settings.vog_programmes
    steps = [
        GuidanceStep(
            name="orientation_training", anchor="planned_start", offset=-16, unit="weeks",
            role="coach", states=_SEARCH, done_by="application_training", lifecycles=_MBO,
            description="Orientation and application training, 16 weeks before the start.",
            description_nl="Oriëntatie- en sollicitatietraining, 16 weken voor de start.",
        ),
        GuidanceStep(
            name="search_check_in", anchor="entered:searching", offset=2, every=2,
            unit="weeks", role="coach", done_by="guidance_contact", lifecycles=_MBO,
            description="A check-in between coach and student every two weeks of the search.",
            description_nl="Elke twee weken zoeken een contactmoment tussen coach en student.",
        ),
        GuidanceStep(
            name="search_stalled", anchor="applications:4", role="coach",
            states=("searching",), done_by="search_talk", action="propose",
            trigger="request_assistance", lifecycles=_MBO,
            description="Four applications without an invitation: a talk with the coach "
            "(possible discrimination included) and assisted search offered.",
            description_nl="Vier sollicitaties zonder uitnodiging: een gesprek met de coach "
            "(ook over mogelijke discriminatie) en begeleid zoeken aangeboden.",
        ),
        GuidanceStep(
            name="search_stalled_weeks", anchor="entered:searching", offset=4, unit="weeks",
            role="coach", done_by="search_talk", action="propose",
            trigger="request_assistance", lifecycles=_MBO,
            description="Four weeks searching: a talk with the coach, assisted search offered.",
            description_nl="Vier weken zoeken: een gesprek met de coach, begeleid zoeken "
            "aangeboden.",
        ),
        GuidanceStep(
            name="search_escalation", anchor="entered:searching", offset=6, unit="weeks",
            role="coach", action="fire", trigger="request_assistance",
            escalate_to="placement_office", lifecycles=_MBO,
            description="Six weeks searching without a place: assisted search.",
            description_nl="Zes weken zoeken zonder plek: begeleid zoeken.",
        ),
        GuidanceStep(
            name="search_escalation_start", anchor="planned_start",
            offset=-7 * settings.escalation_weeks, unit="days", role="coach",
            states=("searching",), action="fire", trigger="request_assistance",
            escalate_to="placement_office", excluded_programmes=vog, lifecycles=_MBO,
            description=f"No place {settings.escalation_weeks} weeks before the start: "
            "assisted search.",
            description_nl=f"Geen plek {settings.escalation_weeks} weken voor de start: "
            "begeleid zoeken.",
        ),
        GuidanceStep(
            name="employer_verification", anchor="entered:placement_proposed", offset=5,
            unit="working_days", role="placement_office", done_by="verify_employer",
            lifecycles=_MBO,
            description="The employer (leerbedrijf) verified within five working days.",
            description_nl="Het leerbedrijf binnen vijf werkdagen geverifieerd.",
        ),
        GuidanceStep(
            name="all_signatures", anchor="planned_start", offset=-5, unit="working_days",
            role="placement_office", states=_BEFORE_SIGNED, done_by="confirm_signatures",
            lifecycles=_MBO,
            description="Every signature in five working days before the start.",
            description_nl="Alle handtekeningen binnen, vijf werkdagen voor de start.",
        ),
        GuidanceStep(
            name="start_intake", anchor="entered:active", offset=2, unit="weeks",
            role="coach", states=_RUNNING, done_by="three_way_talk", escalate_to="team_lead",
            lifecycles=_MBO,
            description="The start intake (student, workplace supervisor, coach) within two "
            "weeks of the start.",
            description_nl="Het startgesprek (student, praktijkopleider, coach) binnen twee "
            "weken na de start.",
        ),
        GuidanceStep(
            name="guidance_contacts", anchor="planned_end", role="coach", states=_RUNNING,
            done_by="guidance_contact", count=3, lifecycles=_MBO,
            description="At least three guidance contacts (begin, middle, end) by the end.",
            description_nl="Minstens drie begeleidingscontacten (begin, midden, eind).",
        ),
        GuidanceStep(
            name="on_site_contact", anchor="planned_end", role="coach", states=_RUNNING,
            done_by="guidance_contact", done_with={"location": "on_site"}, lifecycles=_MBO,
            description="At least one guidance contact at the workplace (the leerbedrijf).",
            description_nl="Minstens één begeleidingscontact op de werkplek (het leerbedrijf).",
        ),
        GuidanceStep(
            name="midterm_review", anchor="planned_hours", percent=60, role="coach",
            states=_RUNNING, done_by="midterm_review", lifecycles=_MBO,
            description="The midterm review, with its social-safety question, by 60% of the "
            "planned hours.",
            description_nl="De tussenevaluatie, met de vraag naar sociale veiligheid, voor 60% "
            "van de geplande uren.",
        ),
        GuidanceStep(
            name="hours_check", anchor="entered:active", offset=2, every=2, unit="weeks",
            role="coach", hours_below=80, lifecycles=_MBO,
            description="Every two weeks: at least 80% of the hours planned for the days "
            "active so far (days suspended or ill left out).",
            description_nl="Elke twee weken: minstens 80% van de uren die voor de actieve "
            "dagen gepland waren (dagen geschorst of ziek tellen niet mee).",
        ),
        GuidanceStep(
            name="final_assessment", anchor="planned_end", offset=10, unit="working_days",
            role="assessor", states=(*_RUNNING, "assessment"), done_by="assessment_decision",
            escalate_to="team_lead", lifecycles=_MBO,
            description="The assessment decided ten working days after the planned end.",
            description_nl="De beoordeling binnen tien werkdagen na de geplande einddatum.",
        ),
    ]  # fmt: skip
    if vog:
        steps.append(
            evolve(
                steps[5],
                name="search_escalation_start_vog",
                offset=-7 * settings.vog_escalation_weeks,
                programmes=vog,
                excluded_programmes=(),
                description=f"No place {settings.vog_escalation_weeks} weeks before the "
                "start of a programme that needs a VOG: assisted search.",
                description_nl=f"Geen plek {settings.vog_escalation_weeks} weken voor de start "
                "van een opleiding met VOG-plicht: begeleid zoeken.",
            )
        )
    return steps


#: The names of the default steps (``search_escalation_start_vog`` with VOG programmes).
STEP_NAMES = (
    "orientation_training", "search_check_in", "search_stalled", "search_stalled_weeks",
    "search_escalation", "search_escalation_start", "employer_verification",
    "all_signatures", "start_intake", "guidance_contacts", "on_site_contact", "midterm_review",
    "hours_check", "final_assessment", "search_escalation_start_vog",
)  # fmt: skip


def default_steps(settings: Settings) -> list[GuidanceStep]:
    """The default steps with the institution's *settings*: some disabled, some changed.

    Raises:
        ValueError: a setting names a step that does not exist.
    """
    for name in (*settings.disabled_steps, *settings.steps):
        if name not in STEP_NAMES:
            raise ValueError(f"no default step is named {name!r}; known: {', '.join(STEP_NAMES)}")
    found = []
    for step in _steps(settings):
        if step.name in settings.disabled_steps:
            continue
        changes = settings.steps.get(step.name)
        found.append(evolve(step, **changes) if changes else step)
    return found
