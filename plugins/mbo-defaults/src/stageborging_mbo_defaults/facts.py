"""The institution facts the default steps are completed by."""

from __future__ import annotations

from stageborging import FieldKind, FieldSpec, InstitutionFact

__all__ = ["APPLICATION_TRAINING", "FACTS", "SEARCH_TALK", "THREE_WAY_TALK", "VOG_RECEIVED"]

#: Before the search: the orientation and application training was followed.
APPLICATION_TRAINING = InstitutionFact(
    name="application_training",
    roles=["coach", "placement_office"],
    states=["orientation", "searching", "assisted_search"],
    lifecycles=["mbo_bpv"],
    description="The student followed the orientation and application training.",
    description_nl="De student volgde de oriëntatie- en sollicitatietraining.",
)
#: A stalled search: the coach talked it through with the student (possible
#: discrimination included) and offered assisted search.
SEARCH_TALK = InstitutionFact(
    name="search_talk",
    roles=["coach"],
    states=["searching", "assisted_search"],
    lifecycles=["mbo_bpv"],
    description="The coach talked the stalled search through, possible discrimination "
    "included, and offered assisted search.",
    description_nl="De coach besprak de vastgelopen zoektocht, mogelijke discriminatie "
    "inbegrepen, en bood begeleid zoeken aan.",
)
#: The start intake: student, workplace supervisor and coach (a driegesprek).
THREE_WAY_TALK = InstitutionFact(
    name="three_way_talk",
    roles=["coach"],
    states=["active", "suspended"],
    lifecycles=["mbo_bpv"],
    description="The start intake: the student, the workplace supervisor and the coach.",
    description_nl="Het startgesprek: student, praktijkopleider en coach (driegesprek).",
)
#: The certificate of conduct (Verklaring Omtrent het Gedrag) a sector requires.
VOG_RECEIVED = InstitutionFact(
    name="vog_received",
    roles=["placement_office"],
    fields=[FieldSpec("issued_on", FieldKind.DATE)],
    lifecycles=["mbo_bpv"],
    description="The certificate of conduct (VOG) was received.",
    description_nl="De Verklaring Omtrent het Gedrag (VOG) is ontvangen.",
)
FACTS = (APPLICATION_TRAINING, SEARCH_TALK, THREE_WAY_TALK, VOG_RECEIVED)
