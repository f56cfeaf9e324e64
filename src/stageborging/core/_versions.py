"""Versions of a lifecycle definition and migrations between them, as an engine reports them."""

from __future__ import annotations

from attrs import frozen

from ._events import Event
from ._findings import Finding

__all__ = ["MigrationStep", "Version"]


@frozen
class Version:
    """One version of a lifecycle definition, and the streams under it in a database.

    Attributes:
        lifecycle: The definition's name.
        digest: The version's digest (stamped on every event under it).
        current: True for the version the engine opens new streams under.
        known: False when the engine has no definition for the digest (streams
            under it are read and verified, but take no command and cannot be
            migrated until that definition is given to the engine).
        unsafe: Why this release's hard rules refuse the version (its streams
            take no command until migrated), or None.
        streams: How many streams are under it.
        running: How many of them have not ended (those a migration would move);
            all of them when the version is unknown (which states are final is
            in the definition).
        pending: True when running streams are under it, it is not current, and
            the engine runs a current version of the lifecycle to migrate them to.
    """

    lifecycle: str
    digest: str
    current: bool
    known: bool
    unsafe: str | None
    streams: int
    running: int
    pending: bool


@frozen
class MigrationStep:
    """What migrating one stream did, or would do in a dry run.

    Attributes:
        stream_id: The stream.
        from_version: The digest it is under.
        to_version: The digest it moves to.
        from_state: Its state now.
        to_state: Its state after the migration (its mapping of ``from_state``).
        findings: Why it is refused (empty when it may move).
        event: The ``migrated`` event written; None in a dry run or when refused.
    """

    stream_id: str
    from_version: str
    to_version: str
    from_state: str
    to_state: str
    findings: tuple[Finding, ...]
    event: Event | None = None

    @property
    def allowed(self) -> bool:
        """True when nothing refuses the migration."""
        return not any(f.blocks for f in self.findings)
