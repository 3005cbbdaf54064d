"""benchmarks/words.py: words a reader sees, outside collapsed blocks."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from words import ArticleWords  # noqa: E402

PAGE = """<html><body><nav>menu words here</nav>
<article class="bd-article"><h1>Title<a class="headerlink">#</a></h1>
<p>Two words, α = 0.5 and x-ray.</p><img src="a.png"><br>
<details class="sd-dropdown"><summary>hidden</summary><p>not counted at all</p></details>
<div class="cell tag_hide-input"><details class="hide above-input"><pre>code</pre></details></div>
<script>var x = 1;</script></article><footer>foot</footer></body></html>"""


def test_counts_only_visible_article_text() -> None:
    parser = ArticleWords()
    parser.feed(PAGE)
    # Title, Two, words, α, 0.5, and, x-ray
    assert parser.words == 7
