"""The documentation site: `mkdocs build --strict` (warnings are errors: a broken link or
anchor, a docstring mkdocstrings cannot read), then every page opened in headless
Chromium: it loads, its images decode and every internal link reaches a page that exists
(and, with a fragment, an element of that id)."""
import os
from urllib.parse import urldefrag, urlparse

import pytest

from conftest import REPO, run

pytestmark = pytest.mark.slow  # starts Chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    run(f"mkdocs build --strict --site-dir {out}", REPO, env={"NO_MKDOCS_2_WARNING": "1"})
    return out


def test_every_page_link_and_image_of_the_site_resolves(site, chromium):
    from playwright.sync_api import sync_playwright
    pages = sorted(p for p in site.rglob("index.html") if "assets" not in p.parts)
    assert len(pages) >= 12, pages  # the home page, a page per topic and the API reference
    broken, seen_ids = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                     "--disable-background-networking"])
        page = browser.new_page()
        links = []
        for html in pages:
            page.goto(html.as_uri())
            assert page.locator("article h1").count() >= 1, f"{html}: no title"
            seen_ids[os.path.realpath(html)] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
            for src, width in page.eval_on_selector_all("article img", "els => els.map(e => [e.src, e.naturalWidth])"):
                if width == 0:
                    broken.append(f"{html}: image {src} does not decode")
            links += [(html, href) for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")]
        browser.close()
    for html, href in links:
        url, fragment = urldefrag(href)
        if urlparse(url).scheme != "file":
            continue  # the theme's links to the outside
        target = urlparse(url).path
        target = (target + "index.html") if target.endswith("/") else target
        if not os.path.isfile(target):
            broken.append(f"{html}: link {href} reaches no file")
        elif fragment and target.endswith("index.html") and fragment not in seen_ids[os.path.realpath(target)]:
            broken.append(f"{html}: link {href} reaches no element #{fragment}")
    assert not broken, "\n".join(broken[:20])
