"""Sphinx configuration of the stageborging documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Lifecycle diagrams and tables, the findings table and the CLI reference are
generated from the installed package at build time (``_ext/stageborging_docs.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from stageborging import __version__

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "stageborging"
author = "The stageborging developers"
project_copyright = "the stageborging developers (MIT licence)"
release = __version__
version = ".".join(__version__.split(".")[:2])

#: Diagrams and the CLI reference use these when installed (the ``docs`` extra);
#: without them the docs still build, with literal diagrams and ``--help`` texts.
OPTIONAL_EXTENSIONS = ("sphinx_click",)

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.graphviz",  # lifecycle diagrams as SVG, drawn by Graphviz's dot at build time
    *(name for name in OPTIONAL_EXTENSIONS if importlib.util.find_spec(name) is not None),
    # last, so that it knows which optional extensions were loaded
    "stageborging_docs",
]

exclude_patterns = ["_build"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_default_options = {"members": True}
autodoc_class_signature = "mixed"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

html_theme = "furo"  # a current, responsive theme (attrs, pip and urllib3 use it)
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_title = f"stageborging {release}"
graphviz_output_format = "svg"
