"""The book's Sphinx extension: duplicate inline scripts dropped, bibliography pages found."""

from __future__ import annotations

from types import SimpleNamespace

from sphinx.builders.html._assets import _JavaScript
from sphinxcontrib.bibtex.directives import BibliographyKey

from qmlr.tools.sphinxext import bibliography_pages, unique_scripts


def test_unique_scripts_treats_none_and_empty_file_names_alike() -> None:
    body = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JavaScript("_static/a.js", priority=200),
        _JavaScript(None, priority=500, body=body),
        _JavaScript("_static/b.js", priority=500),
        _JavaScript("", priority=500, body=body),
        _JavaScript("_static/a.js", priority=200),
    ]
    assert unique_scripts(scripts) == [scripts[0], scripts[1], scripts[2]]


def test_unique_scripts_keeps_different_bodies_and_priorities() -> None:
    scripts = [
        _JavaScript(None, priority=500, body="let a = 1;"),
        _JavaScript(None, priority=500, body="let b = 1;"),
        _JavaScript(None, priority=800, body="let a = 1;"),
    ]
    assert unique_scripts(scripts) == scripts


def test_bibliography_pages_reads_the_cite_domain() -> None:
    keys = [BibliographyKey("references", "id1"), BibliographyKey("a", "id2")]
    domain = SimpleNamespace(bibliographies=dict.fromkeys(keys))
    env = SimpleNamespace(get_domain=lambda name: domain)
    assert bibliography_pages(env) == ["a", "references"]
