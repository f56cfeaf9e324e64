"""Sphinx directives that render stageborging's own data, so the docs cannot drift.

``.. stageborging-lifecycle:: NAME``
    The diagram (``stageborging.lifecycles.to_dot``, drawn as SVG by Graphviz at
    build time, so it is a picture without any script or network) and the
    tables of transitions, facts, opening fields and code lists of a built-in
    lifecycle definition. ``:parts:`` picks some of ``diagram, transitions,
    facts, open, codes`` (default: all).

``.. stageborging-audit-example::``
    The stored header and body bytes, and the hashes, of the first two events
    of a freshly written stream, for an auditor to recompute.

``.. stageborging-findings::``
    The built-in finding catalogue (``stageborging.core.CATALOGUE``) as a
    table, with the advice given in the directive's content: one unindented
    line per finding code, followed by its indented advice. A code without
    advice, or advice for a code that does not exist, is a build warning (an
    error under ``-W``).

``.. stageborging-scaffold:: PATH``
    The file *PATH* (``src/roc_flags/plugin.py``) exactly as
    ``stageborging new-plugin`` writes it (``stageborging.cli._scaffold.write_plugin``),
    as a literal block in the file's language, captioned with its path.
    ``:plugin:`` names the plugin (default ``roc-flags``). A path the scaffold
    does not write is an error that lists the ones it does.

``.. fixture:: NAME`` and ``:fixture:`NAME```
    Describe a pytest fixture (the testing kit's), and refer to it.

The diagrams need Graphviz's ``dot`` on the path (Debian's ``graphviz``;
``.ci/run`` installs it). When ``sphinx_click`` is not installed, a ``click``
directive that prints each command's ``--help`` stands in for it.
"""

from __future__ import annotations

import importlib
import logging as stdlib_logging
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import click
import reference
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import stageborging
import stageborging.cli._scaffold
import stageborging.core
import stageborging.lifecycles
from stageborging import FieldKind, FieldSpec, LifecycleDefinition

logger = logging.getLogger(__name__)

#: The package's source folder: the directives note its files as dependencies.
SOURCES = Path(stageborging.__file__).parent
LIFECYCLE_SOURCES = (
    "lifecycles/internship.py",
    "lifecycles/case.py",
    "lifecycles/_model.py",
    "lifecycles/_definition.py",
    "lifecycles/_render.py",
)

PARTS = ("diagram", "transitions", "facts", "open", "codes")

#: The plugin the scaffold directive writes unless ``:plugin:`` names another.
SCAFFOLD_PLUGIN = "roc-flags"
#: Pygments lexers of the files the scaffold writes, by suffix.
LANGUAGES = {".py": "python", ".toml": "toml", ".md": "markdown"}


def _escape(text: str) -> str:
    """Escape reST inline markup in plain text (messages, descriptions)."""
    for char in "\\*`_|[]":
        text = text.replace(char, "\\" + char)
    return text


def _literals(values: Iterable[object]) -> str:
    return ", ".join(f"``{value}``" for value in values) or "—"


def _list_table(header: Sequence[str], rows: Iterable[Sequence[str]], widths: str) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in (header, *rows):
        for index, cell in enumerate(row):
            first, *rest = (cell or "—").splitlines()
            lines.append(("   * - " if index == 0 else "     - ") + first)
            lines.extend(("       " + line).rstrip() for line in rest)
    return [*lines, ""]


def _field(spec: FieldSpec) -> str:
    text = f"``{spec.name}``: {spec.kind.value}"
    if spec.minimum is not None and spec.maximum is not None:
        text += f" {spec.minimum}–{spec.maximum}"
    elif spec.minimum is not None:
        text += f" ≥ {spec.minimum}"
    elif spec.maximum is not None:
        text += f" ≤ {spec.maximum}"
    if spec.not_before:
        text += f", not before ``{spec.not_before}``"
    return text if spec.required else text + " (optional)"


def _fields(specs: Sequence[FieldSpec]) -> str:
    return "; ".join(_field(spec) for spec in specs) or "—"


class _RstDirective(SphinxDirective):
    """A directive that writes reST lines and parses them in place."""

    def parse_lines(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.container()
        source = self.get_source_info()[0] or self.env.docname
        self.state.nested_parse(StringList(lines, source=source), self.content_offset, container)
        return list(container.children)

    def graphviz(self, code: str, alt: str) -> list[str]:
        """A diagram drawn by Graphviz's ``dot`` at build time: an image, no script to read it.

        Without ``dot`` on the path the DOT source is shown instead (and said once).
        """
        body = ["   " + line for line in code.splitlines()]
        if shutil.which(self.env.config.graphviz_dot) is None:
            logger.info("graphviz's dot not found: lifecycle diagrams shown as DOT text", once=True)
            return [".. code-block:: text", "", *body, ""]
        return [".. graphviz::", f"   :alt: {alt}", "", *body, ""]


class LifecycleDirective(_RstDirective):
    """``.. stageborging-lifecycle:: mbo_bpv``: diagram and tables of a built-in lifecycle."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"parts": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        definitions = {d.name: d for d in stageborging.lifecycles.builtin()}
        definition = definitions.get(self.arguments[0])
        if definition is None:
            known = ", ".join(definitions)
            raise self.error(f"unknown lifecycle {self.arguments[0]!r}; known: {known}")
        parts = [p.strip() for p in self.options.get("parts", ",".join(PARTS)).split(",")]
        for part in parts:
            if part not in PARTS:
                raise self.error(f"unknown part {part!r}; known: {', '.join(PARTS)}")
        for name in LIFECYCLE_SOURCES:
            self.env.note_dependency(str(SOURCES / name))
        lines: list[str] = []
        for part in parts:
            lines.extend(getattr(self, f"_{part}")(definition))
        return self.parse_lines(lines)

    def _diagram(self, d: LifecycleDefinition) -> list[str]:
        alt = f"The states and transitions of {d.name}, with the guards each transition carries."
        return self.graphviz(stageborging.lifecycles.to_dot(d), alt)

    def _transitions(self, d: LifecycleDefinition) -> list[str]:
        open_states = {s for s in d.states if s not in d.final}
        rows = [
            (
                f"``{t.trigger}``",
                "any non-final state"
                if set(t.sources) == open_states and len(open_states) > 1
                else _literals(t.sources),
                f"``{t.dest}``",
                _literals(t.roles),
                _literals(t.guards),
                _fields(t.fields),
            )
            for t in d.transitions
        ]
        summary = (
            f"Initial state ``{d.initial}``; final states {_literals(d.final)}. "
            f"Opened by {_literals(d.open_roles)}. "
            f"Digest ``{d.digest[:16]}…`` (this release)."
        )
        header = ("Trigger", "From", "To", "Roles", "Guards (hard)", "Data")
        return [summary, "", *_list_table(header, rows, "14 20 14 20 14 18")]

    def _facts(self, d: LifecycleDefinition) -> list[str]:
        if not d.facts:
            return []
        rows = [
            (f"``{f.name}``", _literals(f.roles), _literals(f.guards), _fields(f.fields))
            for f in d.facts
        ]
        header = ("Fact", "Roles", "Guards (hard)", "Data")
        return [".. rubric:: Facts", "", *_list_table(header, rows, "18 30 16 36")]

    def _open(self, d: LifecycleDefinition) -> list[str]:
        title = f'.. rubric:: Opening data (``engine.open("{d.name}", data=...)``)'
        return [title, "", *(f"- {_field(spec)}" for spec in d.open_fields), ""]

    def _codes(self, d: LifecycleDefinition) -> list[str]:
        rows = []
        elements = [
            ("opening", d.open_fields),
            *((f"``{t.trigger}``", t.fields) for t in d.transitions),
            *((f"``{f.name}`` (fact)", f.fields) for f in d.facts),
        ]
        for where, specs in elements:
            for spec in specs:
                if spec.codes:
                    kind = "one of" if spec.kind is FieldKind.CODE else "a list of"
                    rows.append((where, f"``{spec.name}``", f"{kind} {_literals(spec.codes)}"))
        header = ("Command", "Field", "Codes")
        return [".. rubric:: Code lists", "", *_list_table(header, rows, "22 18 60")]


class FindingsDirective(_RstDirective):
    """``.. stageborging-findings::``: the catalogue as a table, advice from the content."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(SOURCES / "core" / "_messages.py"))
        advice: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in self.content:
            if line and not line[0].isspace():
                current = advice.setdefault(line.strip(), [])
            elif current is not None:
                current.append(line.strip())
        catalogue = stageborging.core.CATALOGUE
        for code in catalogue:
            if not " ".join(advice.get(code, ())).strip():
                logger.warning("finding %r has no advice", code, location=self.get_location())
        for code in advice:
            if code not in catalogue:
                logger.warning("advice for unknown finding %r", code, location=self.get_location())
        rows = []
        for code, (english, dutch) in catalogue.items():
            text = " ".join(advice.get(code, ())).strip()
            messages = f"{_escape(english)}\n\n*{_escape(dutch)}*"
            rows.append((f"``{code}``", messages, text))
        header = ("Code", "Message (English, *Dutch*)", "What to do")
        lines = _list_table(header, rows, "18 42 40")
        return self.parse_lines(lines)


class AuditExampleDirective(_RstDirective):
    """``.. stageborging-audit-example::``: the stored bytes and hashes of two real events."""

    def run(self) -> list[nodes.Node]:
        for name in ("audit/_chain.py", "core/_canonical.py", "engine/_records.py"):
            self.env.note_dependency(str(SOURCES / name))
        rows = reference.audit_rows()
        lines: list[str] = []
        for seq, header, body, body_hash, prev_hash, hash_ in rows:
            lines += [f".. rubric:: Event {seq}", "", "``body`` column (bytes):", ""]
            lines += [".. code-block:: text", "", "   " + body.decode("utf-8"), ""]
            lines += ["``header`` column (bytes):", ""]
            lines += [".. code-block:: text", "", "   " + header.decode("utf-8"), ""]
            lines += [
                f"- ``body_hash`` = SHA-256(body) = ``{body_hash}``",
                f"- ``prev_hash`` = ``{prev_hash}``",
                f"- ``hash`` = SHA-256(header) = ``{hash_}``",
                "",
            ]
        return self.parse_lines(lines)


def scaffold_files(name: str = SCAFFOLD_PLUGIN) -> dict[str, str]:
    """What ``stageborging new-plugin NAME`` writes: ``{relative POSIX path: text}``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / name
        return {
            path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in stageborging.cli._scaffold.write_plugin(name, root)
        }


class ScaffoldDirective(SphinxDirective):
    """``.. stageborging-scaffold:: src/roc_flags/plugin.py``: a file of the plugin scaffold."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"plugin": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(SOURCES / "cli" / "_scaffold.py"))
        name = self.options.get("plugin", SCAFFOLD_PLUGIN)
        try:
            files = scaffold_files(name)
        except stageborging.InvalidInput as exc:
            raise self.error(f"stageborging new-plugin refuses {name!r}: {exc}") from None
        path = self.arguments[0]
        if path not in files:
            raise self.error(f"the scaffold writes no {path!r}; it writes: {', '.join(files)}")
        text = files[path]
        literal = nodes.literal_block(text, text)
        literal["language"] = LANGUAGES.get(Path(path).suffix, "text")
        self.set_source_info(literal)
        caption = nodes.caption(f"{name}/{path}", f"{name}/{path}")
        self.set_source_info(caption)
        container = nodes.container("", caption, literal, classes=["literal-block-wrapper"])
        container["literal_block"] = True
        return [container]


class HelpFallback(_RstDirective):
    """Stands in for sphinx-click's ``click`` directive: each command's ``--help``."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {
        "prog": directives.unchanged_required,
        "nested": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        module_name, _, attribute = self.arguments[0].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        lines: list[str] = []
        self._help(command, self.options.get("prog", command.name), lines)
        return self.parse_lines(lines)

    def _help(self, command: click.Command, prog: str, lines: list[str]) -> None:
        with click.Context(command, info_name=prog, terminal_width=80) as ctx:
            text = command.get_help(ctx)
        lines.extend([f".. rubric:: {prog}", "", ".. code-block:: text", ""])
        lines.extend("   " + line for line in text.splitlines())
        lines.append("")
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                self._help(sub, f"{prog} {name}", lines)


def setup(app: Sphinx) -> dict[str, Any]:
    # The directives run the engine for their examples: its one line per command is
    # not the build's output, whatever logging the theme sets up.
    stdlib_logging.getLogger("stageborging").setLevel(stdlib_logging.WARNING)
    app.add_directive("stageborging-lifecycle", LifecycleDirective)
    app.add_directive("stageborging-findings", FindingsDirective)
    app.add_directive("stageborging-audit-example", AuditExampleDirective)
    app.add_directive("stageborging-scaffold", ScaffoldDirective)
    app.add_object_type("fixture", "fixture", indextemplate="pair: %s; pytest fixture")
    if "sphinx_click" not in app.extensions:
        app.add_directive("click", HelpFallback)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
