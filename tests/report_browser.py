"""Look at the study page as a person would: headless Chromium (Debian's ``chromium``).

:func:`inspect_page` loads a copy of the page with a small probe script in front of
everything else; the probe records console errors, uncaught errors and failed
resource loads, and, once the page has loaded, every image's decoded size, every
section's content and the criteria table's rows, into a ``<pre>`` that
``--dump-dom`` returns. :func:`screenshot` writes a full-page PNG next to the page.
No package beyond the standard library; run as a script to check a page by hand::

    python tests/report_browser.py results/report/index.html
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files")
PROBE = """<script>
window.__gsa = {errors: []};
(function () {
  var original = console.error;
  console.error = function () {
    window.__gsa.errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    var t = e.target || {};
    var what = t.tagName ? "failed to load " + t.tagName + " " + String(t.src || t.href).slice(0, 80)
                         : "uncaught: " + e.message;
    window.__gsa.errors.push(what);
  }, true);
  window.addEventListener("load", function () {
    var imgs = Array.prototype.map.call(document.images, function (i) {
      return {alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight};
    });
    var sections = Array.prototype.map.call(document.querySelectorAll("body > section"), function (s) {
      return {id: s.id, text: s.innerText.trim().length,
              items: s.querySelectorAll("table, figure, dd, p:not(.note):not(.source)").length};
    });
    var rows = Array.prototype.map.call(document.querySelectorAll("table.criteria tbody tr"), function (r) {
      return [r.dataset.key, r.dataset.dataset];
    });
    var out = document.createElement("pre");
    out.id = "gsa-probe";
    out.textContent = JSON.stringify({errors: window.__gsa.errors, images: imgs, sections: sections,
                                      criteria: rows, height: document.documentElement.scrollHeight});
    document.body.appendChild(out);
  });
})();
</script>"""


def find_chromium() -> str | None:
    """Path of the Chromium executable, or ``None`` when none is installed."""
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return None


def _run(browser: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def console_errors(stderr: str) -> list[str]:
    """Console messages at error level Chromium logged to stderr (``CONSOLE`` lines)."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line and ":ERROR:" in line]


def inspect_page(page: Path, browser: str) -> dict:
    """What the probe saw on ``page``: ``errors``, ``images``, ``sections``, ``criteria``, ``height``."""
    text = page.read_text(encoding="utf-8")
    probed = page.with_name(f".{page.stem}.probe.html")
    probed.write_text(re.sub(r"<head>", "<head>" + PROBE, text, count=1), encoding="utf-8")
    try:
        result = _run(browser, "--virtual-time-budget=10000", "--dump-dom", probed.resolve().as_uri())
    finally:
        probed.unlink(missing_ok=True)
    found = re.search(r'<pre id="gsa-probe">(.*?)</pre>', result.stdout, re.S)
    if not found:
        raise AssertionError(
            f"the probe did not report (chromium exit {result.returncode}):\n{result.stderr[-2000:]}"
        )
    seen = json.loads(html.unescape(found.group(1)))
    seen["errors"] += console_errors(result.stderr)
    return seen


def screenshot(page: Path, browser: str, height: int, width: int = 1280, scale: float = 0.5) -> Path:
    """A full-page PNG of ``page`` (``height`` CSS pixels tall), next to it: ``<page stem>.png``.

    ``scale``: device pixels per CSS pixel (0.5 keeps a tall page's picture small).
    """
    out = page.with_suffix(".png")
    result = _run(
        browser,
        f"--screenshot={out.resolve()}",
        f"--window-size={width},{height}",
        f"--force-device-scale-factor={scale}",
        page.resolve().as_uri(),
        timeout=600,
    )
    if not out.is_file() or out.stat().st_size == 0:
        raise AssertionError(
            f"no screenshot written (chromium exit {result.returncode}):\n{result.stderr[-2000:]}"
        )
    return out


def problems(seen: dict, expected_rows: int | None = None) -> list[str]:
    """Everything a person would object to on the page, as the probe saw it (empty: none)."""
    found = [f"console: {e}" for e in seen["errors"]]
    found += [
        f"image {i['alt']!r} did not decode" for i in seen["images"] if not (i["width"] and i["height"])
    ]
    found += [f"section {s['id']!r} is empty" for s in seen["sections"] if not (s["text"] and s["items"])]
    keys = [tuple(r) for r in seen["criteria"]]
    if len(set(keys)) != len(keys):
        found.append("the criteria table repeats a (criterion, data set) row")
    if expected_rows is not None and len(keys) != expected_rows:
        found.append(f"the criteria table has {len(keys)} rows, expected {expected_rows}")
    return found


def main(page: str) -> int:
    browser = find_chromium()
    if browser is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    seen = inspect_page(Path(page), browser)
    shot = screenshot(Path(page), browser, min(seen["height"] + 40, 60000))
    issues = problems(seen)
    print(
        json.dumps(
            {
                "images": len(seen["images"]),
                "sections": seen["sections"],
                "rows": len(seen["criteria"]),
                "height": seen["height"],
                "screenshot": str(shot),
                "problems": issues,
            },
            indent=1,
        )
    )
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
