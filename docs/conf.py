"""Sphinx configuration: MyST Markdown pages, API reference from docstrings, CLI reference."""

from __future__ import annotations

import community_governance

project = "community-governance"
author = "community-governance developers"
copyright = "2026, community-governance developers"
release = community_governance.__version__
language = "en"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx_click",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_type_aliases: dict[str, str] = {}
nitpicky = False
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
suppress_warnings = ["myst.xref_missing", "autodoc.import_object", "ref.python"]
html_theme = "furo"
html_title = "community-governance 基层社区治理"
