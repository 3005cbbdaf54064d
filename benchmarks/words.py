"""Words a reader sees on each built page, outside collapsed blocks.

Parses ``_build/html/<page>.html`` for every page of ``_toc.yml`` with the standard library's
``html.parser`` and counts the words of the article (sphinx-book-theme's ``bd-article``),
skipping what a reader does not see until a click: ``<details>`` (myst-nb's hidden inputs and
outputs, sphinx-design dropdowns), sphinx-togglebutton's toggled blocks, scripts and styles.

Usage::

    python benchmarks/words.py                  # _build/html, a table of words per page
    python benchmarks/words.py SITE --json OUT  # another build; also write the counts as JSON
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

#: Elements whose text a reader does not see (or not as prose).
SKIPPED_TAGS = {"details", "script", "style", "template", "noscript"}
#: Classes that mark a collapsed block (sphinx-togglebutton) or page furniture.
SKIPPED_CLASSES = {"toggle", "toggle-hidden", "headerlink", "sd-dropdown"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)


class ArticleWords(HTMLParser):
    """Collects the visible text of the page's article, outside collapsed blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, opens article, opens a skip)
        self.in_article = 0
        self.skipping = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        article = "bd-article" in classes
        skip = tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES)
        self.in_article += article
        self.skipping += skip
        self.stack.append((tag, article, skip))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:  # tolerate unclosed tags: pop to the matching one
            name, article, skip = self.stack.pop()
            self.in_article -= article
            self.skipping -= skip
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.in_article and not self.skipping:
            self.text.append(data)

    @property
    def words(self) -> int:
        return len(WORD.findall(" ".join(self.text)))


def page_words(path: Path) -> int:
    """Visible words of one built page (see the module docstring)."""
    parser = ArticleWords()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.words


def site_words(site: Path) -> dict[str, int]:
    """Words per page of the toc, in toc order (pages missing from the site are left out)."""
    from test_site import toc_pages

    return {
        p: page_words(site / f"{p}.html") for p in toc_pages() if (site / f"{p}.html").is_file()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(REPO / "_build" / "html"))
    parser.add_argument("--json", default=None, help="also write the counts here")
    args = parser.parse_args(argv)
    counts = site_words(Path(args.site))
    for page, n in counts.items():
        print(f"{page:22s} {n:7,d}")
    print(f"{'total':22s} {sum(counts.values()):7,d}")
    if args.json:
        Path(args.json).write_text(json.dumps(counts, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
