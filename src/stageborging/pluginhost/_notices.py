"""Who is told of what safeguarding records: the built-in notifications, as a plugin.

Registered with the other defaults (``stageborging.safeguarding_notices``; block it to
send your own). Each notification names a template below, in English and Dutch; its
params are ids and codes only (the host fills in names and deep links at delivery).
"""

from __future__ import annotations

from ..core import Event, MessageTemplate, Notification, Role, Stream
from ..hookspecs import hookimpl

__all__ = ["TEMPLATES", "SafeguardingNotices"]

#: The message templates of the safeguarding notifications, in Dutch and English.
TEMPLATES: tuple[MessageTemplate, ...] = (
    MessageTemplate.framed(
        "employer.flag_recommended",
        {
            "nl": "Signalering geadviseerd voor leerbedrijf {employer}",
            "en": "Flag recommended on employer {employer}",
        },
        {
            "nl": "De vertrouwenspersoon adviseert de signalering {flag} voor leerbedrijf "
            "{employer} (advies {recommendation}): besluit of u die instelt.",
            "en": "The confidential advisor recommends the flag {flag} on employer {employer} "
            "(recommendation {recommendation}): decide whether to raise it.",
        },
    ),
    MessageTemplate.framed(
        "employer.pattern_alert",
        {
            "nl": "Signaal: leerbedrijf {employer} nodigt ongelijk uit",
            "en": "Alert: employer {employer} invites unequally",
        },
        {
            "nl": "Leerbedrijf {employer} nodigt studenten van {programme} significant minder "
            "vaak uit dan de rest (signaal {alert}): beoordeel het en stel extra aandacht "
            "in of wijs het af.",
            "en": "Employer {employer} invites students of {programme} significantly less often "
            "than the rest (alert {alert}): review it, then raise a watch on it or dismiss "
            "it.",
        },
    ),
    MessageTemplate.framed(
        "employer.blocked",
        {"nl": "Leerbedrijf {employer} is geblokkeerd", "en": "Employer {employer} is blocked"},
        {
            "nl": "Leerbedrijf {employer} is geblokkeerd sinds {since}. Besluit met de student "
            "wat er met deze plaatsing gebeurt: beëindigen, of het voorstel met een reden "
            "afwijzen.",
            "en": "Employer {employer} is blocked since {since}. Decide with the student what "
            "happens to this placement: end it, or dismiss the proposal with a reason.",
        },
    ),
    MessageTemplate.framed(
        "employer.recognition_suspended",
        {
            "nl": "Erkenning van leerbedrijf {employer} geschorst",
            "en": "Recognition of employer {employer} suspended",
        },
        {
            "nl": "SBB heeft de erkenning van leerbedrijf {employer} geschorst per {since}. "
            "Besluit met de student wat er met deze plaatsing gebeurt.",
            "en": "SBB suspended the recognition of employer {employer} as of {since}. Decide "
            "with the student what happens to this placement.",
        },
    ),
    MessageTemplate.framed(
        "placement.recognition_revoked",
        {
            "nl": "Plaatsing beëindigd: erkenning ingetrokken",
            "en": "Placement ended: recognition revoked",
        },
        {
            "nl": "De plaatsing is beëindigd omdat SBB de erkenning van het leerbedrijf heeft "
            "ingetrokken; de student krijgt hulp bij het vinden van een vervanger.",
            "en": "The placement ended because SBB revoked the employer's recognition; the "
            "student is helped to find a replacement.",
        },
    ),
    MessageTemplate.framed(
        "placement.employer_closed",
        {
            "nl": "Plaatsing beëindigd: leerbedrijf gesloten",
            "en": "Placement ended: employer closed",
        },
        {
            "nl": "De plaatsing is beëindigd omdat het leerbedrijf is gesloten; de student krijgt"
            " hulp bij het vinden van een vervanger.",
            "en": "The placement ended because the employer closed down; the student is helped to"
            " find a replacement.",
        },
    ),
)

#: The reasons of a system's cancellation or termination that the coach is told of.
_ENDED = {
    "recognition_revoked": "placement.recognition_revoked",
    "employer_closed": "placement.employer_closed",
}


class SafeguardingNotices:
    """Tell the placement office of a recommendation or a pattern alert on an employer,
    and a placement's coach of a block, a suspended recognition or an ended placement."""

    name = "stageborging.safeguarding_notices"

    @hookimpl
    def stageborging_templates(self) -> tuple[MessageTemplate, ...]:
        return TEMPLATES

    @hookimpl
    def stageborging_after_record(self, stream: Stream, event: Event) -> list[Notification]:
        data = event.data
        if event.name == "recommend_flag":
            return [_notice(Role.PLACEMENT_OFFICE, "employer.flag_recommended",
                            employer=_employer(stream), flag=data["flag"],
                            recommendation=str(event.seq))]  # fmt: skip
        if event.name == "pattern_alert":
            return [_notice(Role.PLACEMENT_OFFICE, "employer.pattern_alert",
                            employer=_employer(stream), alert=str(event.seq),
                            programme=data["programme"])]  # fmt: skip
        if event.name == "employer_notice":
            employer = stream.facts.get("employer") or "-"
            return [_notice(Role.COACH, f"employer.{data['notice']}", employer=employer,
                            since=data["since"])]  # fmt: skip
        return []

    @hookimpl
    def stageborging_after_transition(self, stream: Stream, event: Event) -> list[Notification]:
        template = _ENDED.get(event.data.get("reason", ""))
        if template is None or event.actor.role is not Role.SYSTEM:
            return []
        if event.name not in ("cancel_placement", "terminate"):
            return []
        return [_notice(Role.COACH, template)]


def _employer(stream: Stream) -> str:
    employer = stream.facts["details"].get("employer")
    return employer if isinstance(employer, str) else "-"


def _notice(role: Role, template: str, **params: str) -> Notification:
    return Notification(channel="email", recipient_role=role, template=template, params=params)
