"""Notifications delivered: who holds a role (stageborging_recipients), how to reach them
(stageborging_contact), the message (stageborging_templates) and a channel that sends it
(stageborging_channels); then a missed report deadline, escalated by tick and dispatched."""

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stageborging import Actor, Contact, Engine, MessageTemplate, Notification, hookimpl


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class SisDirectory:
    """The school's student information system: who holds a role, and how to reach them."""

    name = "roc-sis-directory"

    def __init__(self) -> None:
        self.people = {  # pseudonymous id -> (address, display name, language)
            "coach-3": ("j.devries@roc.example", "Jan de Vries", "nl"),
            "adv-1": ("a.smith@roc.example", "Alex Smith", "en"),
        }

    @hookimpl
    def stageborging_recipients(self, role, stream):
        return {"coach": ["coach-3"], "confidential_advisor": ["adv-1"]}.get(role)

    @hookimpl
    def stageborging_contact(self, person, channel):
        if person not in self.people or channel != "email":
            return None  # unknown here: the next contact plugin is asked
        address, name, language = self.people[person]
        link = f"https://sis.roc.example/people/{person}/internships"
        return Contact(address, name, link, language)


class SearchNotices:
    """Tell the coach when a student starts searching, with the message in two languages."""

    name = "roc-search-notices"

    @hookimpl
    def stageborging_after_transition(self, event):
        if event.name == "begin_search":
            return [Notification("email", "coach", "roc.search_started")]
        return None

    @hookimpl
    def stageborging_templates(self):
        return [
            MessageTemplate.framed(
                "roc.search_started",
                subject={"nl": "Uw student zoekt een stage", "en": "Your student is searching"},
                text={
                    "nl": "Een student van u is begonnen met zoeken naar een stageplaats.",
                    "en": "A student of yours has started searching for a placement.",
                },
            )
        ]


class Console:
    """A channel that prints instead of sending (a real one is stageborging-email)."""

    name = "email"

    def deliver(self, delivery, timeout):
        print(f"to {delivery.contact.address} [{delivery.language}] {delivery.subject}")
        for line in delivery.body.splitlines():
            print(f"   {line}".rstrip())


class ConsoleChannel:
    name = "roc-console"

    @hookimpl
    def stageborging_channels(self):
        return [Console()]


office, student = Actor("po-17", "placement_office"), Actor("stu-4711", "student")
details = {"student": "stu-4711", "programme": "ict", "planned_start": "2027-09-01",
           "planned_end": "2028-01-31", "planned_hours": 640}  # fmt: skip
plugins = [SisDirectory(), SearchNotices(), ConsoleChannel()]


def main() -> None:
    clock = Clock()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(Path(tmp) / "school.db", plugins=plugins, clock=clock) as engine,
    ):
        sid = engine.open("hbo_stage", actor=office, data=details).stream_id
        engine.fire(sid, "begin_search", actor=student)
        engine.report(actor=student, phase="search", employer="lb-42")
        clock.now += timedelta(days=7)  # the report was not acknowledged in 3 working days
        print(f"tick: missed {engine.tick().missed}")
        report = engine.dispatch()
        print(f"delivered {report.delivered}, retry {report.retried}, dead {report.dead}")


if __name__ == "__main__":
    main()
