"""The message catalogue of the built-in findings, in English and Dutch.

Each finding code maps to a pair of templates filled from the finding's
``params`` (codes, ids, dates and numbers only: never personal data). The
list of codes is documented in ``docs/findings.rst``; a test keeps the two in
step.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._findings import Finding, Severity

__all__ = ["CATALOGUE", "finding"]

#: code -> (English, Dutch)
CATALOGUE: Mapping[str, tuple[str, str]] = {
    "role.not_allowed": (
        "Role {role} may not {command}; allowed: {allowed}.",
        "De rol {role} mag {command} niet uitvoeren; toegestaan: {allowed}.",
    ),
    "signatures.missing": (
        "Signatures missing on agreement version {version}: {missing}.",
        "Handtekeningen ontbreken op versie {version} van de overeenkomst: {missing}.",
    ),
    "signatures.age_unknown": (
        "The date the student turns 18 is not recorded, so whether a guardian must sign "
        "cannot be judged.",
        "De datum waarop de student 18 wordt ontbreekt; of een ouder of voogd moet tekenen, "
        "is niet te beoordelen.",
    ),
    "signature.no_agreement": (
        "There is no agreement to sign yet.",
        "Er is nog geen overeenkomst om te ondertekenen.",
    ),
    "signature.stale_version": (
        "Agreement version {given} is not the current version {current}.",
        "Versie {given} van de overeenkomst is niet de huidige versie {current}.",
    ),
    "signature.wrong_party": (
        "Role {role} cannot sign for party {party}.",
        "De rol {role} kan niet tekenen namens partij {party}.",
    ),
    "start.date_not_reached": (
        "The planned start date {start} has not been reached.",
        "De geplande startdatum {start} is nog niet bereikt.",
    ),
    "start.agreement_unconfirmed": (
        "The agreement has not been confirmed as signed.",
        "De ondertekening van de overeenkomst is niet bevestigd.",
    ),
    "start.retroactive": (
        "The agreement was confirmed on {confirmed}, after the planned start {start}: "
        "no retroactive start.",
        "De overeenkomst is bevestigd op {confirmed}, na de geplande start {start}: "
        "niet met terugwerkende kracht starten.",
    ),
    "recognition.no_employer": (
        "No employer has been proposed.",
        "Er is geen leerbedrijf voorgesteld.",
    ),
    "recognition.no_verifier": (
        "No recognition verifier is configured, so the employer cannot be verified.",
        "Er is geen controle op erkenning ingesteld; het leerbedrijf kan niet worden geverifieerd.",
    ),
    "recognition.unknown_employer": (
        "No recognition verifier knows employer {employer}; it cannot be verified.",
        "Geen erkenningscontrole kent leerbedrijf {employer}; het kan niet worden geverifieerd.",
    ),
    "recognition.not_recognised": (
        "Employer {employer} is not recognised for qualification {qualification}.",
        "Leerbedrijf {employer} is niet erkend voor kwalificatie {qualification}.",
    ),
    "recognition.not_listed": (
        "Employer {employer} is not in the recognition register for qualification {qualification}.",
        "Leerbedrijf {employer} staat niet in het register van erkende leerbedrijven voor "
        "kwalificatie {qualification}.",
    ),
    "recognition.expired": (
        "The recognition of employer {employer} for qualification {qualification} has expired.",
        "De erkenning van leerbedrijf {employer} voor kwalificatie {qualification} is verlopen.",
    ),
    "recognition.not_yet_valid": (
        "The recognition of employer {employer} for qualification {qualification} is not "
        "valid yet.",
        "De erkenning van leerbedrijf {employer} voor kwalificatie {qualification} geldt nog niet.",
    ),
    "recognition.suspended": (
        "The recognition of employer {employer} for qualification {qualification} is suspended.",
        "De erkenning van leerbedrijf {employer} voor kwalificatie {qualification} is geschorst.",
    ),
    "recognition.pending": (
        "The recognition of employer {employer} for qualification {qualification} is "
        "pending: the placement waits for SBB's decision.",
        "De erkenning van leerbedrijf {employer} voor kwalificatie {qualification} is "
        "aangevraagd: de plaatsing wacht op het besluit van SBB.",
    ),
    "recognition.verifier_failed": (
        "The recognition verifier of plugin {plugin} failed ({error}); refused.",
        "De erkenningscontrole van plugin {plugin} faalde ({error}); geweigerd.",
    ),
    "assignment.not_approved": (
        "The programme has not approved the assignment.",
        "De opleiding heeft de stageopdracht niet goedgekeurd.",
    ),
    "assessment.missing": (
        "No assessment decision has been recorded.",
        "Er is geen beoordelingsbesluit vastgelegd.",
    ),
    "assessment.failed": (
        "The assessment failed, so the internship cannot be completed; repeat the placement "
        "period instead.",
        "De beoordeling is onvoldoende, dus de stage kan niet worden afgerond; herhaal de "
        "stageperiode.",
    ),
    "repeat.not_failed": (
        "{command} needs a failed assessment; none is recorded.",
        "{command} vereist een onvoldoende beoordeling; die is niet vastgelegd.",
    ),
    "start.no_employment_contract": (
        "A BBL placement needs an employment contract with employer {employer} before it starts.",
        "Een BBL-plaatsing vereist een arbeidsovereenkomst met leerbedrijf {employer} vóór de "
        "start.",
    ),
    "agreement.minor_hours": (
        "The agreement plans {hours} hours a week; a student under 18 may work at most {limit}.",
        "De overeenkomst plant {hours} uur per week; een student onder de 18 mag ten hoogste "
        "{limit} uur werken.",
    ),
    "agreement.hours_unknown": (
        "The agreement does not state the hours a week, which a student under 18 needs.",
        "De overeenkomst noemt geen uren per week; die zijn nodig voor een student onder de 18.",
    ),
    "consent.missing": (
        "No consent has been given (or it was withdrawn), so {command} is not allowed: "
        "the report is registered only.",
        "Er is geen toestemming gegeven (of die is ingetrokken); {command} is niet "
        "toegestaan: de melding wordt alleen geregistreerd.",
    ),
    "consent.anonymous": (
        "An anonymous report is registered only: nobody can give consent to act on it.",
        "Een anonieme melding wordt alleen geregistreerd: niemand kan toestemming geven om "
        "er iets mee te doen.",
    ),
    "consent.not_affected_student": (
        "The report names a student: only the affected student's consent counts.",
        "De melding noemt een student: alleen de toestemming van de betrokken student telt.",
    ),
    "consent.no_student_named": (
        "The report names no student: the reporter gives consent (given_by reporter).",
        "De melding noemt geen student: de melder geeft toestemming (given_by reporter).",
    ),
    "outcome.registered_only": (
        "A case that is registered only can never be founded: nobody was heard.",
        "Een melding die alleen is geregistreerd kan nooit gegrond zijn: niemand is gehoord.",
    ),
    "outcome.not_heard": (
        "A case is founded only after a hearing (or an external body's founded outcome).",
        "Een melding is pas gegrond na een hoorzitting (of een gegrond oordeel van een "
        "externe instantie).",
    ),
    "employer.blocked": (
        "The employer is blocked since {since} (raised by the {role} role, until {until}): "
        "no new placement there.",
        "Het leerbedrijf is geblokkeerd sinds {since} (ingesteld door de rol {role}, tot "
        "{until}): geen nieuwe plaatsing daar.",
    ),
    "employer.review_required": (
        "New placements at this employer need a review first (flag since {since}, raised by "
        "the {role} role): record an approving placement_review.",
        "Nieuwe plaatsingen bij dit leerbedrijf vragen eerst een beoordeling (signalering "
        "sinds {since}, ingesteld door de rol {role}): leg een goedkeurende "
        "placement_review vast.",
    ),
    "employer.review_rejected": (
        "The review of this placement (flag since {since}) rejected it.",
        "De beoordeling van deze plaatsing (signalering sinds {since}) heeft haar afgewezen.",
    ),
    "employer.recognition_revoked": (
        "SBB revoked the employer's recognition for {qualification} as of {since}.",
        "SBB heeft de erkenning van het leerbedrijf voor {qualification} ingetrokken per {since}.",
    ),
    "employer.recognition_suspended": (
        "SBB suspended the employer's recognition for {qualification} as of {since}.",
        "SBB heeft de erkenning van het leerbedrijf voor {qualification} geschorst per {since}.",
    ),
    "employer.closed": (
        "The employer closed down on {since}.",
        "Het leerbedrijf is gesloten per {since}.",
    ),
    "flag.block_basis": (
        "A block rests only on a founded case (the confidential advisor's recommendation) "
        "or an external decision.",
        "Een blokkade berust alleen op een gegronde melding (de aanbeveling van de "
        "vertrouwenspersoon) of een extern besluit.",
    ),
    "flag.no_recommendation": (
        "Recommendation {seq} is not an open recommendation on this employer.",
        "Aanbeveling {seq} is geen openstaande aanbeveling bij dit leerbedrijf.",
    ),
    "flag.not_recommended": (
        "Recommendation {seq} is for {recommended}, not for a block.",
        "Aanbeveling {seq} is voor {recommended}, niet voor een blokkade.",
    ),
    "flag.alert_watch_only": (
        "A pattern alert leads at most to a watch, never to {flag}.",
        "Een patroonsignaal leidt hoogstens tot extra aandacht (watch), nooit tot {flag}.",
    ),
    "flag.no_open_alert": (
        "Alert {seq} is not an open pattern alert on this employer.",
        "Signaal {seq} is geen openstaand patroonsignaal bij dit leerbedrijf.",
    ),
    "flag.basis_mismatch": (
        "The {field} given does not match the basis {basis}.",
        "Het opgegeven {field} past niet bij de grondslag {basis}.",
    ),
    "flag.expired": (
        "The flag would expire on {expires}, which is not after today.",
        "De signalering zou verlopen op {expires}, en dat is niet na vandaag.",
    ),
    "flag.not_raised": (
        "The flag {flag} is not raised on this employer.",
        "De signalering {flag} staat niet op dit leerbedrijf.",
    ),
    "recommendation.no_case": (
        "The linked case is no case this engine knows.",
        "De gekoppelde melding is geen melding die deze engine kent.",
    ),
    "recommendation.other_employer": (
        "The linked case does not name this employer.",
        "De gekoppelde melding noemt dit leerbedrijf niet.",
    ),
    "recommendation.not_founded": (
        "A block is recommended only on a founded case.",
        "Een blokkade wordt alleen aanbevolen bij een gegronde melding.",
    ),
    "alert.not_open": (
        "Alert {seq} is not an open pattern alert on this employer.",
        "Signaal {seq} is geen openstaand patroonsignaal bij dit leerbedrijf.",
    ),
    "feedback.missing": (
        "Feedback to the reporter has not been recorded.",
        "Terugkoppeling aan de melder is niet vastgelegd.",
    ),
    "check.failed": (
        "The check of plugin {plugin} failed ({error}); refused.",
        "De controle van plugin {plugin} faalde ({error}); geweigerd.",
    ),
    "agreement.fields_missing": (
        "The agreement lacks: {missing}.",
        "De overeenkomst mist: {missing}.",
    ),
    "finish.too_early": (
        "The end date {end} is not reached and the hours ({hours} of {planned}) are not met.",
        "De einddatum {end} is niet bereikt en de uren ({hours} van {planned}) zijn niet gehaald.",
    ),
    "migrate.final": (
        "The stream has ended in {state}: it stays under the version it ended under.",
        "De stroom is beëindigd in {state}: hij blijft onder de versie waaronder hij eindigde.",
    ),
    "migrate.already": (
        "The stream is already under version {version}.",
        "De stroom valt al onder versie {version}.",
    ),
    "migrate.state_gone": (
        "State {state} does not exist in version {version}: map it to a state of that version.",
        "Toestand {state} bestaat niet in versie {version}: wijs hem toe aan een toestand "
        "van die versie.",
    ),
    "migrate.ends_stream": (
        "A migration may not end the stream: {state} is a final state of version {version}.",
        "Een migratie mag de stroom niet beëindigen: {state} is een eindtoestand van "
        "versie {version}.",
    ),
    "migrate.phase_change": (
        "A migration keeps a stream's phase: {state} is in phase {phase}, the stream in "
        "phase {from_phase}. Map it to a state of phase {from_phase}, or fire the "
        "transition that changes the phase.",
        "Een migratie houdt de fase van een stroom: {state} valt in fase {phase}, de "
        "stroom in fase {from_phase}. Wijs een toestand van fase {from_phase} toe, of "
        "voer de overgang uit die de fase verandert.",
    ),
    "migrate.unknown_version": (
        "Version {version} of this stream is unknown to this engine: store that "
        "version's definition file first (lifecycle add-version).",
        "Versie {version} van deze stroom is onbekend voor deze engine: sla eerst het "
        "definitiebestand van die versie op (lifecycle add-version).",
    ),
    "migrate.unsafe_state": (
        "Version {version} allows {state} (phase {phase}) only after the {guard} guard, "
        "which this stream has not passed and its facts do not satisfy.",
        "Versie {version} staat {state} (fase {phase}) alleen toe na de controle {guard}, "
        "die deze stroom niet heeft doorlopen en waaraan zijn gegevens niet voldoen.",
    ),
    "import.evidence_missing": (
        "An internship imported in {state} needs the evidence {field}.",
        "Een stage die wordt overgenomen in {state} heeft het bewijs {field} nodig.",
    ),
    "import.future_date": (
        "The evidence {field} lies in the future ({date}).",
        "Het bewijs {field} ligt in de toekomst ({date}).",
    ),
    "import.unproven": (
        "The evidence does not satisfy the {guard} rule that every internship passes on its "
        "way to {state}.",
        "Het bewijs voldoet niet aan de regel {guard} die elke stage op weg naar {state} "
        "doorloopt.",
    ),
    "erasure.running": (
        "Internship {stream} of this person still runs: it ends (completed, withdrawn) "
        "before erasing.",
        "Stage {stream} van deze persoon loopt nog: die wordt eerst afgerond of beëindigd "
        "voordat de gegevens worden gewist.",
    ),
    "erasure.open_case": (
        "Case {case} about this person is still open: close it before erasing.",
        "Melding {case} over deze persoon is nog open: sluit die af voordat de gegevens "
        "worden gewist.",
    ),
}


def finding(
    code: str,
    severity: Severity = Severity.BLOCK,
    source: str = "stageborging",
    **params: object,
) -> Finding:
    """Build a built-in finding from the catalogue, in both languages."""
    english, dutch = CATALOGUE[code]
    text = {k: str(v) for k, v in params.items()}
    return Finding(
        code=code,
        severity=severity,
        message=english.format(**text),
        message_nl=dutch.format(**text),
        source=source,
        params=text,
    )
