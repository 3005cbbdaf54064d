"""The book's ``_config.yml``: no button leads to a placeholder repository.

The repository URL is set in one place (``repository.url``). While there is no public
repository the repository, issue, edit and launch buttons are off; a button switched on needs a
real URL, never a placeholder such as ``https://github.com/OWNER/qmlr``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "_config.yml"
#: Words that mark a URL as a template rather than an address.
PLACEHOLDERS = re.compile(r"OWNER|USER(NAME)?|YOUR[-_]?|EXAMPLE|<[^>]*>|\{[^}]*\}", re.I)
REPO_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
LAUNCH_URLS = ("binderhub_url", "colab_url", "jupyterhub_url")
GITHUB = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/?")


def button_problems(config: dict[str, Any]) -> list[str]:
    """What is wrong with a Jupyter Book config's buttons: a button on without a real URL.

    :param config: the parsed ``_config.yml``.
    :return: one line per problem (empty when every button on has a real repository URL).
    """
    url = str((config.get("repository") or {}).get("url") or "")
    html = config.get("html") or {}
    launch = config.get("launch_buttons") or {}
    on = [b for b in REPO_BUTTONS if html.get(b)]
    on += [k for k in LAUNCH_URLS if launch.get(k)]
    on += ["thebe"] if launch.get("thebe") else []
    problems = []
    if on and (not GITHUB.fullmatch(url) or PLACEHOLDERS.search(url)):
        problems.append(f"buttons {on} are on but repository.url {url!r} is no real repository")
    if PLACEHOLDERS.search(url):
        problems.append(f"repository.url {url!r} is a placeholder")
    return problems


def test_config_has_no_placeholder_text() -> None:
    assert "OWNER" not in CONFIG.read_text()


def test_buttons_lead_somewhere() -> None:
    assert button_problems(yaml.safe_load(CONFIG.read_text())) == []


def test_button_problems_catch_a_placeholder() -> None:
    placeholder = {
        "repository": {"url": "https://github.com/OWNER/qmlr"},
        "html": {"use_repository_button": True},
    }
    assert len(button_problems(placeholder)) == 2
    no_url = {
        "repository": {"url": ""},
        "launch_buttons": {"binderhub_url": "https://mybinder.org"},
    }
    assert len(button_problems(no_url)) == 1
    real = {
        "repository": {"url": "https://github.com/qmlr-book/qmlr"},
        "html": {"use_issues_button": True},
    }
    assert button_problems(real) == []


def test_citation_file_cites_the_book_and_the_paper() -> None:
    import tomllib

    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "type", "version"} <= set(cff)
    assert cff["title"] == yaml.safe_load(CONFIG.read_text())["title"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert cff["version"] == project["version"]
    paper = [r for r in cff["references"] if "2508.02422" in r.get("url", "")]
    assert len(paper) == 1 and paper[0]["authors"][0]["family-names"] == "Chen"


def test_execution_report_is_in_the_toc() -> None:
    assert "nb-exec-table" in (REPO / "book" / "execution.md").read_text()
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    appendix = [
        c["file"] for p in toc["parts"] if p["caption"] == "Appendix" for c in p["chapters"]
    ]
    assert "execution" in appendix
