"""The measures of a monitoring release (DOMAIN §7 and the Stagepact norms of §8b), each
defined beside its table, counted from what the :class:`Collector` kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from attrs import frozen

from ._collect import UNPLACED, Collector, InternshipTrack
from ._settings import MonitorSettings, Period
from ._suppression import Status
from ._tables import Figure, FigureKind, Table, Tally

__all__ = ["MEASURES", "Release", "measure"]

#: The release's sections, in order, with the tables each holds.
MEASURES: dict[str, tuple[str, ...]] = {
    "Time to placement": ("time_to_placement",),
    "Without a place": ("without_place",),
    "Guidance": ("guidance_gaps", "report_gaps"),
    "Reports": ("report_outcomes", "report_response"),
    "Employers": ("invitations", "pattern_alerts"),
    "Stagepact norms": ("allowance", "guidance_contacts", "bbl_hours"),
}
#: The weeks-before-start bands of the "without a place" measure.
BANDS = ("more_than_8_weeks", "4_to_8_weeks", "under_4_weeks", "past_start")
#: The allowance codes that meet the Stagepact norm (at least a full expense allowance).
ALLOWANCE_MET = ("expenses", "stipend")
#: BBL: the BPV hours a student needs in a study year (WEB 7.2.7(4)).
BBL_HOURS = 610
#: The working days between two local dates (the engine's calendar).
WorkingDays = Callable[[date, date], int]


@frozen
class Release:
    """One run of the monitor: its tables and how many cells were suppressed, and why.

    Attributes:
        generated_at: When it was made (UTC).
        at: The reference date: the log as it stood at that day's end.
        study_year: The study year of the BBL hours (1 August to 31 July): the period
            where that is a study year, else the one holding the reference date.
        settings: The threshold, rows, period and whether groups were given.
        institution: Whose streams (None: every institution's).
        tables: Every table, in the order of the sections of :data:`MEASURES`.
    """

    generated_at: datetime
    at: date
    study_year: Period
    settings: MonitorSettings
    institution: str | None
    tables: tuple[Table, ...]

    @property
    def hidden(self) -> int:
        """How many cells were hidden: what every published format says (the split by
        reason would tell an attacker which hidden cells are the small ones)."""
        return sum(self.suppressed.values())

    @property
    def suppressed(self) -> dict[str, int]:
        """How many cells were hidden, by reason, for the school's own use (the formats
        publish :attr:`hidden` only): ``primary`` (a count from 1 to the threshold - 1)
        and ``secondary`` (so that none of those can be recomputed)."""
        return {
            "primary": sum(t.count(Status.PRIMARY) for t in self.tables),
            "secondary": sum(t.count(Status.SECONDARY) for t in self.tables),
        }

    def table(self, name: str) -> Table:
        """The table *name* (e.g. ``"without_place"``)."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


_QUARTILES: tuple[tuple[FigureKind, str], ...] = (
    ("quartile_1", "Q1"),
    ("median", "Median"),
    ("quartile_3", "Q3"),
)


def study_year(day: date) -> Period:
    """The study year (1 August to 31 July) that holds *day*."""
    first = day.year if day.month >= 8 else day.year - 1
    return Period(date(first, 8, 1), date(first + 1, 7, 31))


def _key(
    track: InternshipTrack, dims: tuple[str, ...], settings: MonitorSettings
) -> tuple[str, ...]:
    values = dict(track.dimensions)
    if settings.groups is not None:
        values["group"] = settings.groups.get(track.student or "", "not_stated")
    return tuple(values.get(d, "unknown") or "unknown" for d in dims)


def _band(start: date | None, at: date) -> str:
    if start is None:
        return "no_planned_start"
    days = (start - at).days
    if days < 0:
        return BANDS[3]
    if days < 28:
        return BANDS[2]
    if days <= 56:
        return BANDS[1]
    return BANDS[0]


def _placement(c: Collector, s: MonitorSettings, days: WorkingDays) -> list[Table]:
    quartiles = [Figure(kind, label, kind, ["placed"], value="days") for kind, label in _QUARTILES]
    ttp = Tally(
        "time_to_placement",
        "Time to placement",
        "Quartiles of the working days from an internship's first entry to searching to "
        "its first ready_to_start (every signature confirmed; placed, whatever happened "
        "after), of the internships placed by the reference date, shown where at least "
        "the threshold of them were. Figures only: how many were placed is not published "
        "here (the allowance table counts the confirmed agreements).",
        "internships",
        s.dimensions(("programme", "level", "track")),
        ["placed"],
        quartiles,
        counts=False,
    )
    without = Tally(
        "without_place",
        "Without a place",
        "Internships in orientation, searching, assisted_search or placement_proposed at the "
        "reference date, by weeks before their planned start as it then stood: more than 8, "
        "4 to 8, under 4, or past it.",
        "internships",
        s.dimensions(("programme", "level")),
        BANDS,
        fixed=False,
    )
    for track in c.internships.values():
        searching = track.entered.get("searching")
        ready = track.entered.get("ready_to_start")
        if searching is not None and ready is not None and ready >= searching:
            ttp.add(_key(track, ttp.dimensions, s), "placed", days=days(searching, ready))
        if track.phase in UNPLACED:
            without.add(_key(track, without.dimensions, s), _band(track.planned_start, c.at))
    return [ttp.build(s.min_cell), without.build(s.min_cell)]


def _guidance(c: Collector, s: MonitorSettings) -> list[Table]:
    """The missed steps, in two tables that share no number (two tables counting the same
    units would have to be suppressed as one): the internships', and the reports'."""
    gaps = Tally(
        "guidance_gaps",
        "Guidance gaps",
        "Guidance steps missed (each escalated once, as an escalated event in the log) by the "
        "reference date, of the internships in scope, by step and the kind of escalation "
        "(step:notify, a role was told; step:propose, a transition was proposed; step:fire, "
        "it was done).",
        "missed steps",
        s.dimensions(("programme",)),
        [],
        fixed=False,
    )
    report_gaps = Tally(
        "report_gaps",
        "Missed report deadlines",
        "The report deadlines missed by the reference date (the built-in case steps: "
        "acknowledgement, intake, a case open long), of the reports received in the period, "
        "by the phase the report was made in, the step and the kind of escalation.",
        "missed steps",
        ("phase",),
        [],
        fixed=False,
    )
    for stream, step, action in c.gaps:
        if stream in c.internships:
            gaps.add(_key(c.internships[stream], gaps.dimensions, s), f"{step}:{action}")
        elif stream in c.cases:
            case = c.cases[stream]
            if case.received_on is not None and case.received_on in s.period:
                report_gaps.add((case.phase,), f"{step}:{action}")
    return [gaps.build(s.min_cell), report_gaps.build(s.min_cell)]


def _reports(c: Collector, s: MonitorSettings, days: WorkingDays) -> list[Table]:
    """The reports in one table of counts (phase and consent by outcome) and one of
    figures only (the response times): two tables counting the same reports would share
    their totals, and shared totals are not protected table by table."""
    outcomes = Tally(
        "report_outcomes",
        "Reports by phase, consent and outcome",
        "Discrimination reports received in the period, by the phase they were made in "
        "(search or internship), whether consent to handle them was given (given; given "
        "and then withdrawn; not_given: registered only, anonymous or still pending) and "
        "their recorded outcome (open: none yet).",
        "reports",
        ("phase", "consent"),
        ["founded", "unfounded", "undetermined", "withdrawn", "open"],
        fixed=False,
    )
    response = Tally(
        "report_response",
        "Reports: time to acknowledgement and intake",
        "The median working days from a report's receipt to its acknowledgement and to the "
        "intake, of the reports received in the period, by phase; each shown where at least "
        "the threshold of reports got that far. Figures only: the reports are counted above.",
        "reports",
        ("phase",),
        ["intake_held", "acknowledged", "not_acknowledged"],
        [
            Figure(
                "days_to_acknowledgement",
                "Median working days to acknowledgement",
                "median",
                ["intake_held", "acknowledged"],
                value="acknowledged",
            ),
            Figure(
                "days_to_intake",
                "Median working days to intake",
                "median",
                ["intake_held"],
                value="intake",
            ),
        ],
        counts=False,
    )
    for case in c.cases.values():
        if case.received_on is None or case.received_on not in s.period:
            continue
        outcomes.add((case.phase, case.consent), case.outcome)
        values: dict[str, float] = {}
        if case.acknowledged_on is not None:
            values["acknowledged"] = days(case.received_on, case.acknowledged_on)
        if case.intake_on is not None:
            values["intake"] = days(case.received_on, case.intake_on)
        column = (
            "intake_held"
            if case.intake_on is not None
            else "acknowledged"
            if case.acknowledged_on is not None
            else "not_acknowledged"
        )
        response.add((case.phase,), column, **values)
    return [outcomes.build(s.min_cell), response.build(s.min_cell)]


def _employers(c: Collector, s: MonitorSettings) -> list[Table]:
    invitations = Tally(
        "invitations",
        "Invitation rates",
        "Applications of the internships in scope whose outcome is recorded: invited, or "
        "not invited (rejected, or no_response: the employer never answered); those still "
        "awaiting an outcome and those the student withdrew are left out. The rate is the "
        "share invited.",
        "applications",
        s.dimensions(("programme", "level")),
        ["invited", "not_invited"],
        [Figure("invitation_rate", "Invitation rate", "share", ["invited"])],
    )
    alerts = Tally(
        "pattern_alerts",
        "Rejection-pattern alerts",
        "Pattern alerts raised on employers in the period, by programme and level, and the "
        "review's outcome: still open, a flag raised on it, or dismissed with a reason.",
        "alerts",
        ("programme", "level"),
        ["open", "flag_raised", "dismissed"],
    )
    for track in c.internships.values():
        key = _key(track, invitations.dimensions, s)
        for outcome in track.applications.values():
            if outcome == "invited":
                invitations.add(key, "invited")
            elif outcome in ("rejected", "no_response"):
                invitations.add(key, "not_invited")
    for employer in c.employers.values():
        for programme, level, day, status in employer.alerts.values():
            if day in s.period:
                alerts.add((programme, level or "any"), status)
    return [invitations.build(s.min_cell), alerts.build(s.min_cell)]


def _norms(c: Collector, s: MonitorSettings, year: Period) -> list[Table]:
    allowance = Tally(
        "allowance",
        "Allowance (Stagepact: at least a full expense allowance)",
        "Internships whose agreement was confirmed by the reference date, by the allowance "
        "the latest agreement records: at least a full expense allowance (expenses or "
        "stipend), less (none or partial), or not recorded; the share meeting the norm of "
        "those recorded.",
        "internships",
        s.dimensions(("programme", "level")),
        ["at_least_expenses", "below_expenses", "not_recorded"],
        [
            Figure(
                "norm_met",
                "Share meeting the norm",
                "share",
                ["at_least_expenses"],
                of=["at_least_expenses", "below_expenses"],
            )
        ],
    )
    contacts = Tally(
        "guidance_contacts",
        "Guidance contacts (Stagepact: at least 3, one on site)",
        "Placements that reached their assessment by the reference date, by the guidance "
        "contacts recorded while the placement ran: at least 3 with one on site (met), at "
        "least 3 but none on site, or fewer than 3.",
        "placements",
        s.dimensions(("programme", "level")),
        ["met", "none_on_site", "fewer_than_3"],
        [Figure("norm_met", "Share meeting the norm", "share", ["met"])],
    )
    so_far = f"; so far, at {c.at}" if year.end is not None and c.at < year.end else ""
    hours = Tally(
        "bbl_hours",
        f"BBL hours (at least {BBL_HOURS} in the study year{so_far})",
        f"BBL students with a placement running in the study year {year.start} to "
        f"{year.end}, by their BPV hours recorded in it by the reference date (an hours "
        f"record counts on its until date, else the day recorded): at least {BBL_HOURS}, "
        "or below.",
        "students",
        s.dimensions(("programme", "level")),
        [f"at_least_{BBL_HOURS}", f"below_{BBL_HOURS}"],
    )
    students: dict[str, tuple[InternshipTrack, int]] = {}
    for stream, track in c.internships.items():
        if "ready_to_start" in track.entered:
            if track.allowance is None:
                column = "not_recorded"
            else:
                column = (
                    "at_least_expenses" if track.allowance in ALLOWANCE_MET else "below_expenses"
                )
            allowance.add(_key(track, allowance.dimensions, s), column)
        if track.finished:
            if track.contacts < 3:
                column = "fewer_than_3"
            else:
                column = "met" if track.on_site else "none_on_site"
            contacts.add(_key(track, contacts.dimensions, s), column)
        if track.track == "BBL" and track.active_from is not None:
            ran = track.active_from <= min(c.at, year.end or c.at) and (
                track.left_on is None or year.start is None or track.left_on >= year.start
            )
            if ran:
                worked = sum(n for day, n in track.hours if day in year)
                student = track.student or stream
                before = students.get(student)
                if before is None:
                    students[student] = (track, worked)
                else:  # the latest placement's rows; every placement's hours
                    later = max(before[0], track, key=lambda t: t.active_from or date.min)
                    students[student] = (later, before[1] + worked)
    for track, worked in students.values():
        column = f"at_least_{BBL_HOURS}" if worked >= BBL_HOURS else f"below_{BBL_HOURS}"
        hours.add(_key(track, hours.dimensions, s), column)
    return [allowance.build(s.min_cell), contacts.build(s.min_cell), hours.build(s.min_cell)]


def measure(
    collector: Collector,
    settings: MonitorSettings,
    working_days: WorkingDays,
    *,
    generated_at: datetime,
    institution: str | None,
) -> Release:
    """Every measure of one release over what *collector* kept."""
    period = settings.period
    given = period.start is not None and period == study_year(period.start)
    year = period if given else study_year(collector.at)
    tables = [
        *_placement(collector, settings, working_days),
        *_guidance(collector, settings),
        *_reports(collector, settings, working_days),
        *_employers(collector, settings),
        *_norms(collector, settings, year),
    ]
    return Release(generated_at, collector.at, year, settings, institution, tuple(tables))
