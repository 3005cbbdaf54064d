"""A Sphinx extension for the book (``_config.yml``: ``sphinx.extra_extensions``).

Sphinx 7.4 writes an inline ``<script>`` twice when an extension adds it after the HTML builder
started (``app.add_js_file(None, body=...)`` in ``builder-inited`` or ``env-before-read-docs``):
the builder keeps it under the file name ``None`` and re-adds it from the registry under ``''``
before writing, and the two do not compare equal. sphinx-thebe's inline script declares
``const THEBE_JS_URL``, so every page raised "Identifier 'THEBE_JS_URL' has already been
declared" in the browser. This extension drops such duplicates from each page's scripts.

sphinxcontrib-bibtex lists on the references page only the entries that are cited, but an
incremental build rewrites that page only when its own source changes: a citation added to a
chapter then linked to an entry the page did not have. This extension rewrites the pages with a
bibliography at every build (they are small and run no code).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError


def _script_key(script: Any) -> tuple[str, int, tuple[tuple[str, str], ...]]:
    """What makes two scripts the same, whether the file name is ``None`` or ``''``."""
    attributes = getattr(script, "attributes", {}) or {}
    return (
        str(getattr(script, "filename", script) or ""),
        int(getattr(script, "priority", 500)),
        tuple(sorted((str(k), str(v)) for k, v in attributes.items())),
    )


def unique_scripts(scripts: list[Any]) -> list[Any]:
    """``scripts`` in order, each script once."""
    seen: set[tuple[str, int, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    return unique


def _dedupe_page_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if "script_files" in context:
        context["script_files"] = unique_scripts(list(context["script_files"]))


def bibliography_pages(env: BuildEnvironment) -> list[str]:
    """The pages holding a sphinxcontrib-bibtex ``bibliography`` directive."""
    try:
        domain = env.get_domain("cite")
    except ExtensionError:  # sphinxcontrib-bibtex is not loaded
        return []
    return sorted({key.docname for key in getattr(domain, "bibliographies", {})})


def _rewrite_bibliographies(app: Sphinx, env: BuildEnvironment) -> list[str]:
    return bibliography_pages(env)


def setup(app: Sphinx) -> dict[str, Any]:
    # Late, so that scripts other handlers add to the page are seen too.
    app.connect("html-page-context", _dedupe_page_scripts, priority=900)
    app.connect("env-get-updated", _rewrite_bibliographies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
