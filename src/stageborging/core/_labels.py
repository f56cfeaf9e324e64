"""Labels for people: the built-in states, event types and roles in English and Dutch.

Codes stay what the log, the API and the JSON output use; a label is only how a page
for people names one (the auditor's report, ``audit show``). A code without a label
(an institution's own state) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._errors import InvalidInput

__all__ = ["LABELS", "label"]

#: kind (``state``, ``type``, ``role``, ``lifecycle``, ``status``, ``outcome``,
#: ``severity``, ``flag``) -> code -> (English, Dutch)
LABELS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "state": {
        # internships (mbo_bpv, hbo_stage)
        "orientation": ("orientation", "oriëntatie"),
        "searching": ("searching", "zoeken"),
        "assisted_search": ("assisted search", "begeleid zoeken"),
        "placement_proposed": ("placement proposed", "leerbedrijf voorgesteld"),
        "employer_verified": ("employer verified", "leerbedrijf gecontroleerd"),
        "agreement_pending": ("agreement being signed", "overeenkomst in ondertekening"),
        "ready_to_start": ("ready to start", "klaar om te starten"),
        "active": ("under way", "lopend"),
        "suspended": ("suspended", "opgeschort"),
        "assessment": ("assessment", "beoordeling"),
        "completed": ("completed", "afgerond"),
        "terminated": ("terminated", "beëindigd"),
        "withdrawn": ("withdrawn", "teruggetrokken"),
        # discrimination cases
        "received": ("received", "ontvangen"),
        "acknowledged": ("acknowledged", "ontvangst bevestigd"),
        "intake_held": ("intake held", "intakegesprek gehouden"),
        "registered_only": ("registered only", "alleen geregistreerd"),
        "investigating": ("investigating", "in onderzoek"),
        "awaiting_external": ("awaiting an external body", "wacht op externe instantie"),
        "outcome_recorded": ("outcome recorded", "uitkomst vastgelegd"),
        "closed": ("closed", "gesloten"),
        # employers
        "operating": ("operating", "actief"),
        "closed_down": ("closed down", "opgeheven"),
    },
    "type": {
        "opened": ("opened", "geopend"),
        "transitioned": ("transitioned", "overgang"),
        "recorded": ("recorded", "vastgelegd"),
        "refused": ("refused", "geweigerd"),
        "migrated": ("migrated", "gemigreerd"),
        "imported": ("imported", "geïmporteerd"),
        "corrected": ("corrected", "gecorrigeerd"),
        "escalated": ("escalated", "geëscaleerd"),
        "dismissed": ("dismissed", "afgedaan"),
        "noted": ("noted", "genoteerd"),
        "erased": ("erased", "gewist"),
    },
    "role": {
        "student": ("student", "student"),
        "coach": ("coach", "stagebegeleider"),
        "placement_office": ("placement office", "stagebureau"),
        "team_lead": ("team lead", "teamleider"),
        "exam_committee": ("exam committee", "examencommissie"),
        "assessor": ("assessor", "beoordelaar"),
        "workplace_supervisor": ("workplace supervisor", "praktijkopleider"),
        "employer": ("employer", "leerbedrijf"),
        "guardian": ("guardian", "ouder of voogd"),
        "confidential_advisor": ("confidential advisor", "vertrouwenspersoon"),
        "case_handler": ("case handler", "behandelaar meldpunt"),
        "privacy_officer": ("privacy officer", "functionaris gegevensbescherming"),
        "auditor": ("auditor", "auditor"),
        "system": ("system", "systeem"),
    },
    "lifecycle": {
        "mbo_bpv": ("MBO work placement (BPV)", "BPV (mbo)"),
        "hbo_stage": ("HBO internship", "stage (hbo)"),
        "case": ("discrimination case", "melding"),
        "employer": ("employer", "leerbedrijf"),
    },
    "status": {  # of a deadline
        "open": ("open", "open"),
        "done": ("done", "gedaan"),
        "missed": ("missed", "verstreken"),
        "cancelled": ("cancelled", "vervallen"),
        "dismissed": ("dismissed", "afgedaan"),
    },
    "outcome": {  # of a case, the school's or an external body's
        "founded": ("founded", "gegrond"),
        "unfounded": ("unfounded", "ongegrond"),
        "undetermined": ("undetermined", "niet vast te stellen"),
        "withdrawn": ("withdrawn", "ingetrokken"),
        "no_decision": ("no decision", "geen uitspraak"),
    },
    "severity": {  # of a finding
        "block": ("block", "blokkerend"),
        "warn": ("warn", "waarschuwing"),
        "info": ("info", "ter informatie"),
    },
    "flag": {
        "watch": ("watch", "aandacht"),
        "review_before_new_placement": (
            "review before a new placement",
            "toetsen vóór een nieuwe plaatsing",
        ),
        "block": ("block", "blokkade"),
    },
}


LANGUAGES = ("en", "nl")


def label(kind: str, code: str, lang: str) -> str:
    """How a page in *lang* (``en`` or ``nl``) names the code *code* of *kind*: a
    built-in state, event ``type``, ``role``, ``lifecycle``, deadline ``status``, case
    ``outcome``, finding ``severity`` or employer ``flag`` (every pair is in
    ``stageborging.core.LABELS``, kind by kind). A code
    without a label (an institution's own state) is given as it is.

    Raises:
        InvalidInput: *kind* is none of those, *lang* neither language, or *code* no
            text.
    """
    if kind not in LABELS:
        raise InvalidInput("kind", kind, f"must be one of {', '.join(LABELS)}")
    if lang not in LANGUAGES:
        raise InvalidInput("lang", lang, "must be en or nl")
    if not isinstance(code, str):
        raise InvalidInput("code", code, "must be a code (text)")
    pair = LABELS[kind].get(code)
    if pair is None:
        return code
    return pair[1] if lang == "nl" else pair[0]
