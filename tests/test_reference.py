"""The reference in docs/reference/ is what the code says: readable without a docs build."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parent.parent / "docs" / "_ext"
sys.path.insert(0, str(EXT))
import reference  # noqa: E402  (the docs' own module, found on their path)


@pytest.mark.parametrize("name", sorted(reference.files()))
def test_each_reference_file_is_current(name: str) -> None:
    """A change to a lifecycle, a message, a hook or a command shows in the committed file."""
    committed = reference.REFERENCE / name
    assert committed.is_file(), f"missing: run python docs/_ext/reference.py ({name})"
    assert committed.read_text(encoding="utf-8") == reference.files()[name], (
        f"{name} is stale: run python docs/_ext/reference.py"
    )


def test_no_stale_file_lingers() -> None:
    """Every file in docs/reference/ is one the generator writes (or its README)."""
    present = {p.name for p in reference.REFERENCE.iterdir()} - {"README.md"}
    assert present == set(reference.files())


def test_every_built_in_version_ships_with_the_package() -> None:
    """The current version of each built-in has its release file, so a later release reads
    the streams stamped with it; every release file loads to the digest in its name."""
    from stageborging.lifecycles import builtin, release_file_name, released

    assert {release_file_name(d) for d in builtin()} <= {
        p.name for p in reference.RELEASES.iterdir()
    }, "a built-in changed: run python docs/_ext/reference.py to add its release file"
    for definition in released():
        assert (reference.RELEASES / release_file_name(definition)).is_file()
    assert {d.digest for d in builtin()} <= {d.digest for d in released()}
