"""The built book in a real browser: each toc page, served on localhost, in headless Chromium.

Each page of ``_toc.yml`` is opened once through Playwright (driving the system Chromium,
``/usr/bin/chromium``; no browser download) and checked for: HTTP 200, images that loaded, no
console or page errors, no failed request and none leaving the site but MathJax, internal links
(and their ``#fragment`` targets) that resolve, and equations typeset by MathJax with no TeX error
and no raw TeX left in the text; tables and images that fit the text column (or a table in a
wrapper that scrolls on purpose); and a source-data CSV linked under every figure, which is
fetched and must parse, with the columns of :mod:`qmlr.report.source_data` and at least one row.

The site must work offline, as CI has no internet. Every request that leaves the local server is
aborted, except the MathJax CDN, which is answered from a local copy of the MathJax 3 npm package
(``QMLR_MATHJAX_DIR``, default ``_build/mathjax``; ``.ci/run`` fetches it with ``npm pack``). The
only console messages ignored are the "Failed to load resource" errors of requests this test
aborted on purpose, matched by their URL: they say nothing about the site. Without a local MathJax
only the MathJax check skips; without Chromium or Playwright every test skips. Where a toc page is
missing from ``_build/html``, the site is built first with ``jb build book``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
TOC = REPO / "_toc.yml"
SITE = REPO / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
MATHJAX_ENV = "QMLR_MATHJAX_DIR"
MATHJAX_DEFAULT = REPO / "_build" / "mathjax"
# Sphinx's default ``mathjax_path``; the published book keeps loading MathJax from there.
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
TIMEOUT_MS = 60_000


def toc_pages(toc: Path = TOC) -> list[str]:
    """The pages of a jb-book toc, in order: its root and every ``file`` entry, without suffix."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    yield str(Path(node[key]).with_suffix(""))
            for key in ("parts", "chapters", "sections"):
                yield from walk(node.get(key, []))

    return list(dict.fromkeys(walk(yaml.safe_load(toc.read_text()))))


PAGES = toc_pages()


def mathjax_dir() -> Path:
    """The local MathJax 3 package (the folder holding ``es5/``)."""
    return Path(os.environ.get(MATHJAX_ENV) or MATHJAX_DEFAULT)


def mathjax_available() -> bool:
    return (mathjax_dir() / "es5" / "tex-mml-chtml.js").is_file()


# --- the site and its server --------------------------------------------------------------------


@pytest.fixture(scope="session")
def site() -> Path:
    """``_build/html``, built with ``jb build book`` when a page of the toc is missing from it."""
    if not all((SITE / f"{page}.html").is_file() for page in PAGES):
        jb = Path(sys.executable).with_name("jb")
        subprocess.run([str(jb) if jb.exists() else "jb", "build", "book"], cwd=REPO, check=True)
    return SITE


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The site served by a threaded ``http.server`` on 127.0.0.1 with an ephemeral port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless system Chromium through Playwright; skips the module when either is absent."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[browser]')"
    )
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """What one page showed in the browser."""

    page: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    ignored_console: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    mathjax_src: list[str] = field(default_factory=list)
    math_total: int = 0
    math_untypeset: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    raw_tex: list[str] = field(default_factory=list)
    wide_tables: list[str] = field(default_factory=list)
    wide_images: list[str] = field(default_factory=list)
    csv_links: list[str] = field(default_factory=list)
    figures_without_data: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # short, for pytest's tracebacks
        return f"Visit({self.page!r}, status={self.status})"


def _route(base_url: str, visit: Visit, route: Any) -> None:
    """Pass local requests, answer the MathJax CDN from the local copy, abort everything else."""
    url = route.request.url
    if url.startswith(base_url):
        route.continue_()
        return
    if url.startswith(MATHJAX_CDN) and mathjax_available():
        local = mathjax_dir() / unquote(urlsplit(url).path.removeprefix(urlsplit(MATHJAX_CDN).path))
        if local.is_file():
            route.fulfill(path=str(local))
        else:
            route.fulfill(status=404, body=f"not in the local MathJax copy: {local}")
        return
    visit.blocked.add(url)
    route.abort("blockedbyclient")


# Run in the page once it has loaded: wait for images and MathJax, then read everything off.
_INSPECT_JS = r"""
async () => {
  const settled = img => new Promise(done => {
    img.addEventListener("load", done);
    img.addEventListener("error", done);
  });
  const images = Array.from(document.images);
  images.filter(img => img.loading === "lazy").forEach(img => { img.loading = "eager"; });
  await Promise.all(images.filter(img => !img.complete).map(settled));
  const mathjaxSrc = Array.from(document.scripts).map(s => s.src).filter(s => /mathjax/i.test(s));
  if (mathjaxSrc.length && window.MathJax && window.MathJax.startup) {
    await window.MathJax.startup.promise;
  }
  // TeX errors: an merror node, or an undefined macro that MathJax shows as red text.
  const mathErrors = [];
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.document) {
    for (const item of window.MathJax.startup.document.math) {
      const mml = window.MathJax.startup.toMML(item.root);
      if (/<merror|<mtext[^>]*mathcolor="red"[^>]*>\\/.test(mml)) mathErrors.push(item.math);
    }
  }
  // Widths: every table fits the article's text column, or sits in a wrapper that scrolls
  // sideways on purpose (overflow-x auto/scroll) and itself fits; every image fits.
  const article = document.querySelector("article.bd-article") || document.body;
  const column = article.clientWidth + 1;
  const scrolls = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const wideTables = [];
  for (const table of article.querySelectorAll("table")) {
    if (table.scrollWidth <= column) continue;
    let wrapper = table.parentElement;
    while (wrapper && wrapper !== article && !scrolls(wrapper)) wrapper = wrapper.parentElement;
    const onPurpose = wrapper && wrapper !== article && wrapper.clientWidth <= column;
    if (!onPurpose) {
      const caption = table.querySelector("caption");
      wideTables.push(`${(caption ? caption.textContent : table.id || "table").trim()
        .slice(0, 60)}: ${table.scrollWidth} px in a ${column - 1} px column`);
    }
  }
  const wideImages = Array.from(article.querySelectorAll("img"))
    .filter(img => img.getBoundingClientRect().width > column)
    .map(img => `${img.src}: ${Math.round(img.getBoundingClientRect().width)} px`);
  // Source data: every figure with an image links a CSV right under it (the figure's own cell
  // or the next one; a glued figure: the next element).
  const csvLinks = Array.from(document.querySelectorAll('a[href$=".csv"]')).map(a => a.href);
  const linksData = el => Boolean(el && el.querySelector('a[href$=".csv"]'));
  const figuresWithoutData = Array.from(article.querySelectorAll("figure"))
    .filter(f => f.querySelector("img"))
    .filter(f => {
      const cell = f.closest(".cell");
      const own = cell || f;
      return !(linksData(cell) || linksData(own.nextElementSibling));
    })
    .map(f => f.id || (f.querySelector("figcaption") || f).textContent.trim().slice(0, 60));
  const maths = Array.from(document.querySelectorAll(".math"));
  const text = document.body.cloneNode(true);
  text.querySelectorAll("pre, code, script, style, template, mjx-container")
    .forEach(e => e.remove());
  const raw = text.textContent.match(/.{0,30}(\$\$|\\\[|\\\().{0,30}/gs) || [];
  return {
    brokenImages: images.filter(img => img.naturalWidth === 0)
      .map(img => img.currentSrc || img.src),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    mathjaxSrc,
    mathTotal: maths.length,
    mathUntypeset: maths.filter(m => !m.querySelector("mjx-container"))
      .map(m => m.textContent.trim()),
    mathErrors,
    rawTex: raw.map(s => s.replace(/\s+/g, " ")),
    wideTables,
    wideImages,
    csvLinks,
    figuresWithoutData,
  };
}
"""


def _add_once(found: list[str], item: str) -> None:
    if item not in found:
        found.append(item)


def visit_page(browser: Any, base_url: str, page_name: str) -> Visit:
    """Open one page in a fresh browser context and record what it showed."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    visit = Visit(page_name)

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        where = msg.location.get("url", "")
        if msg.text.startswith("Failed to load resource") and where in visit.blocked:
            visit.ignored_console.append(where)  # aborted on purpose (no internet in CI)
            return
        _add_once(visit.console_errors, f"{msg.text} ({where})")

    def on_request_failed(request: Any) -> None:
        if request.url not in visit.blocked:
            _add_once(visit.failed_requests, f"{request.url}: {request.failure}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            _add_once(visit.failed_requests, f"{response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: _add_once(visit.page_errors, str(error)))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    context.route("**/*", partial(_route, base_url, visit))
    try:
        response = page.goto(f"{base_url}{page_name}.html", wait_until="load")
        visit.status = response.status if response else None
        found = page.evaluate(_INSPECT_JS)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    visit.broken_images = found["brokenImages"]
    visit.links = found["links"]
    visit.mathjax_src = found["mathjaxSrc"]
    visit.math_total = found["mathTotal"]
    visit.math_untypeset = found["mathUntypeset"]
    visit.math_errors = found["mathErrors"]
    visit.raw_tex = found["rawTex"]
    visit.wide_tables = found["wideTables"]
    visit.wide_images = found["wideImages"]
    visit.csv_links = found["csvLinks"]
    visit.figures_without_data = found["figuresWithoutData"]
    return visit


Visits = dict[str, Visit | Exception]


@pytest.fixture(scope="session")
def visits(browser: Any, base_url: str) -> Visits:
    """Each page is opened once; the tests below read from this cache."""
    return {}


@pytest.fixture(params=PAGES)
def visit(request: pytest.FixtureRequest, visits: Visits, browser: Any, base_url: str) -> Visit:
    """The recorded visit of one page of the toc (a failed visit fails each check, once opened)."""
    name = request.param
    if name not in visits:
        try:
            visits[name] = visit_page(browser, base_url, name)
        except Exception as error:  # kept, and raised again by every check of the page
            visits[name] = error
    found = visits[name]
    if isinstance(found, Exception):
        raise found
    return found


# --- links ---------------------------------------------------------------------------------------


class _Ids(HTMLParser):
    """Collects every ``id`` and ``<a name>`` of an HTML document: the possible fragment targets."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value and (key == "id" or (tag == "a" and key == "name")):
                self.ids.add(value)


@dataclass
class Target:
    status: int
    ids: set[str] | None  # None: not an HTML page


class Fetcher:
    """GETs local URLs, each once: its status and, for an HTML page, its fragment targets."""

    def __init__(self) -> None:
        self._cache: dict[str, Target] = {}

    def __call__(self, url: str) -> Target:
        if url not in self._cache:
            self._cache[url] = self._get(url)
        return self._cache[url]

    @staticmethod
    def _get(url: str) -> Target:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
                is_html = response.headers.get_content_type() == "text/html"
                status = response.status
        except urllib.error.HTTPError as error:
            return Target(error.code, None)
        if not is_html:
            return Target(status, None)
        parser = _Ids()
        parser.feed(body.decode("utf-8", "replace"))
        return Target(status, parser.ids)


@pytest.fixture(scope="session")
def fetch() -> Fetcher:
    return Fetcher()


# --- the checks ----------------------------------------------------------------------------------


def _listing(title: str, items: list[str]) -> str:
    return "\n  ".join([f"{title}:", *items])


def test_toc_pages_have_sources() -> None:
    assert PAGES, f"no pages in {TOC}"
    missing = [page for page in PAGES if not list((REPO / "book").glob(f"{page}.*"))]
    assert not missing, _listing(f"toc entries without a source in book/ ({TOC.name})", missing)


def test_page_loads(visit: Visit) -> None:
    assert visit.status == 200


def test_no_console_or_page_errors(visit: Visit) -> None:
    assert not visit.page_errors, _listing("uncaught exceptions in the page", visit.page_errors)
    assert not visit.console_errors, _listing("errors in the console", visit.console_errors)


def test_no_failed_requests(visit: Visit) -> None:
    assert not visit.failed_requests, _listing("failed requests", visit.failed_requests)


def test_no_other_external_requests(visit: Visit) -> None:
    """Only MathJax may come from outside: anything else would break the site offline."""
    other = sorted(url for url in visit.blocked if not url.startswith(MATHJAX_CDN))
    assert not other, _listing("requests that leave the site", other)


def test_images_loaded(visit: Visit) -> None:
    assert not visit.broken_images, _listing("images with naturalWidth 0", visit.broken_images)


def test_internal_links_resolve(visit: Visit, base_url: str, fetch: Fetcher) -> None:
    broken = []
    for link in dict.fromkeys(visit.links):
        if not link.startswith(base_url):
            continue
        url, fragment = urldefrag(link)
        target = fetch(url)
        if target.status != 200:
            broken.append(f"{link}: HTTP {target.status}")
        elif fragment and target.ids is not None and unquote(fragment) not in target.ids:
            broken.append(f"{link}: no element with id {unquote(fragment)!r}")
    assert not broken, _listing("broken internal links", broken)


def test_math_typeset(visit: Visit) -> None:
    if not mathjax_available():
        pytest.skip(
            f"no local MathJax 3 at {mathjax_dir()} (set {MATHJAX_ENV}, or: npm pack mathjax@3 "
            "and unpack it there)"
        )
    foreign = [src for src in visit.mathjax_src if not src.startswith(MATHJAX_CDN)]
    assert not foreign, _listing(f"MathJax loaded from elsewhere than {MATHJAX_CDN}", foreign)
    if visit.math_total:
        assert visit.mathjax_src, "the page has math but loads no MathJax"
    assert not visit.math_untypeset, _listing("math MathJax did not typeset", visit.math_untypeset)
    assert not visit.math_errors, _listing("TeX errors reported by MathJax", visit.math_errors)
    assert not visit.raw_tex, _listing("raw TeX delimiters left in the text", visit.raw_tex)


# Figures without data to plot (a circuit diagram): they link no source data.
FIGURES_WITHOUT_DATA = {"fig-methods-ansatz"}
#: The columns of every figure's source data (qmlr.report.source_data.COLUMNS).
SOURCE_DATA_COLUMNS = ["panel", "series", "element", "point", "x", "y"]


def test_tables_and_images_fit_the_text_column(visit: Visit) -> None:
    """No table wider than the text column unless a wrapper scrolls it on purpose; no image."""
    assert not visit.wide_tables, _listing("tables wider than the text column", visit.wide_tables)
    assert not visit.wide_images, _listing("images wider than the text column", visit.wide_images)


def test_every_figure_links_its_source_data(visit: Visit, base_url: str) -> None:
    """Each figure links a CSV of the numbers it plots; each CSV answers, parses, has rows."""
    import csv
    import io

    missing = [f for f in visit.figures_without_data if f not in FIGURES_WITHOUT_DATA]
    assert not missing, _listing("figures without a source-data link", missing)
    bad = []
    for link in dict.fromkeys(visit.csv_links):
        if not link.startswith(base_url):
            bad.append(f"{link}: not on the site")
            continue
        with urllib.request.urlopen(link, timeout=30) as response:
            rows = list(csv.reader(io.StringIO(response.read().decode("utf-8"))))
        if not rows or rows[0] != SOURCE_DATA_COLUMNS or len(rows) < 2:
            bad.append(f"{link}: header {rows[:1]}, {max(len(rows) - 1, 0)} rows")
        elif any(len(r) != len(SOURCE_DATA_COLUMNS) for r in rows):
            bad.append(f"{link}: ragged rows")
    assert not bad, _listing("source-data files that do not parse or are empty", bad)
