"""The version of the distribution a plugin comes from."""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import json
import sys
import types
from pathlib import Path

from ..__about__ import __version__

__all__ = ["UNVERSIONED", "plugin_version"]

#: The version of a plugin no installed distribution holds (a script, a test module).
UNVERSIONED = "unversioned"


def plugin_version(plugin: object) -> str:
    """The version of the installed distribution whose files hold *plugin*'s module."""
    if isinstance(plugin, types.ModuleType):
        module = plugin.__name__
    else:
        cls = plugin if isinstance(plugin, type) else type(plugin)
        module = cls.__module__
    top = module.partition(".")[0]
    if top == "stageborging":
        return __version__
    file = getattr(sys.modules.get(module), "__file__", None)
    return _version(module, str(Path(file).resolve()) if file else None)


@functools.cache
def _version(module: str, file: str | None) -> str:
    # Scanning the installed distributions costs 0.1-0.5 s: once per module per process.
    top = module.partition(".")[0]
    named = list(dict.fromkeys(importlib.metadata.packages_distributions().get(top, [])))
    if file is None:  # no file to match (a namespace package): the metadata must name it
        return _version_of(named[0]) if len(named) == 1 else UNVERSIONED
    path = Path(file)
    for name in named:  # a namespace package spread over distributions: the file decides
        try:
            if _holds(importlib.metadata.distribution(name), module, path):
                return _version_of(name)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - racy uninstall
            continue
    if len(named) == 1:
        return _version_of(named[0])
    # Editable installs list no top-level names: find the distribution by the file.
    for dist in importlib.metadata.distributions():
        if _holds(dist, module, path):
            return dist.version
    return UNVERSIONED


def _version_of(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - racy uninstall
        return UNVERSIONED


def _holds(dist: importlib.metadata.Distribution, module: str, path: Path) -> bool:
    """True when *dist* installed *path*, or installed (editable) a source tree holding it."""
    files = dist.files or []
    for entry in files:
        if entry.name == path.name and _same(dist.locate_file(entry), path):
            return True
    return any(_module_at(root, module, path) for root in _editable_roots(dist, files))


def _same(located: object, path: Path) -> bool:
    try:
        return Path(str(located)).resolve() == path
    except OSError:  # pragma: no cover - an unreadable entry
        return False


def _editable_roots(
    dist: importlib.metadata.Distribution, files: list[importlib.metadata.PackagePath]
) -> list[Path]:
    """The source directories an editable install puts on ``sys.path``."""
    roots: list[Path] = []
    for entry in files:
        if entry.suffix == ".pth":
            try:
                text = Path(str(dist.locate_file(entry))).read_text(encoding="utf-8")
            except OSError:
                continue
            roots += [Path(line).resolve() for line in text.splitlines() if _is_dir_line(line)]
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        direct = {}
    url = direct.get("url", "") if isinstance(direct, dict) else ""
    if direct.get("dir_info", {}).get("editable") and url.startswith("file://"):
        base = Path(url.removeprefix("file://")).resolve()
        roots += [base, base / "src"]
    return roots


def _is_dir_line(line: str) -> bool:
    line = line.strip()
    return bool(line) and not line.startswith(("#", "import ", "import\t")) and Path(line).is_dir()


def _module_at(root: Path, module: str, path: Path) -> bool:
    """True when *path* is the file of *module* imported from the directory *root*."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    parts = list(relative.parts)
    last = inspect.getmodulename(parts[-1])
    if last is None:
        return False
    parts[-1] = last
    if parts[-1] == "__init__":
        parts.pop()
    return parts == module.split(".")
