"""`jit-agent scan --report html=FILE` on the bundled example, read the way a person reads it: the page
is opened in headless Chromium (Debian's chromium + chromium-driver, driven through the W3C WebDriver
HTTP protocol with urllib only) and the test checks the text the browser shows, that the page asked
for nothing over the network, and that a hostile file name stays text."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import jit_test_util as util
from jit_test_util import SHARED_DATA, SOURCE_DIR, run_agent

EXAMPLE = os.path.join(SOURCE_DIR, "examples", "monorepo")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# A file name that is markup, with a newline and a terminal colour code in it: it must be shown as
# text, and the img must neither load nor run its handler.
HOSTILE_NAME = "<img src=x onerror=document.title='pwned'>&\"q\"\n\x1b[31m.py"
HOSTILE_SHOWN = "<img src=x onerror=document.title='pwned'>&\"q\".py"


def require_browser():
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            print(f"SKIP: {path} is absent: install Debian's {package} "
                  "(bash scripts/install-deps.sh --tests) to render the HTML report")
            sys.exit(util.SKIP)


def expected_secrets():
    """(file, line) of every row of EXPECTED.md's Findings table."""
    with open(os.path.join(EXAMPLE, "EXPECTED.md"), encoding="utf-8") as f:
        text = f.read()
    body = text.split("\n## Findings", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in body.splitlines() if line.startswith("| ")]
    return [(r[0], r[1]) for r in rows[1:] if r[1].isdigit()]


class WebDriver:
    """Just enough of the W3C WebDriver protocol: a chromedriver we start, one headless session."""

    def __init__(self, log_path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.request("GET", "/status")["ready"]:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError(f"chromedriver did not start (see {log_path})")
            time.sleep(0.2)
        caps = {"browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM,
                                       "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                                "--window-size=1280,900"]},
                # Chromium's DevTools network events: every request the page attempts, blocked or not.
                "goog:loggingPrefs": {"performance": "ALL"}}
        try:
            self.session = self.request("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]
        except Exception:
            self.close()
            raise

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise AssertionError(f"WebDriver {method} {path}: {e.code} {e.read()[:2000]!r}") from None

    def cmd(self, method, path, body=None):
        return self.request(method, f"/session/{self.session}{path}", body)

    def open(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def network_requests(self):
        """URLs of the requests Chromium logged since the last call (Network.requestWillBeSent)."""
        urls = []
        for entry in self.cmd("POST", "/se/log", {"type": "performance"}):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def close(self):
        try:
            if getattr(self, "session", None):
                self.cmd("DELETE", "")
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class HtmlReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="jit-html-")
        # A copy of the example (not a git checkout: every file is scanned) with one file more.
        cls.repo = os.path.join(cls.tmp, "monorepo")
        shutil.copytree(EXAMPLE, cls.repo, symlinks=True)
        cls.token = util.fake_gitlab_pat(seed=11)
        with open(os.path.join(cls.repo, HOSTILE_NAME), "w") as f:
            f.write(f'TOKEN = "{cls.token}"\n')
        db = os.path.join(cls.tmp, "db")
        r = run_agent("db", "--db", db, "import", os.path.join(SHARED_DATA, "osv-db", "PyPI"),
                      os.path.join(SHARED_DATA, "osv-db", "Go"))
        assert r.returncode == 0, r.stderr
        cls.report = os.path.join(cls.tmp, "report.html")
        r = run_agent("scan", cls.repo, "--db", db, "--fail-on", "none", "--format", "json", "--show-secrets",
                      "--report", f"html={cls.report}")
        assert r.returncode == 0, r.stderr
        cls.json = json.loads(r.stdout)
        cls.raws = [f["secret"]["raw"] for f in cls.json["findings"] if (f.get("secret") or {}).get("raw")]
        cls.browser = WebDriver(os.path.join(cls.tmp, "chromedriver.log"))
        cls.browser.open("file://" + cls.report)
        cls.requests = cls.browser.network_requests()
        cls.text = cls.browser.js("return document.body.innerText")

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "browser"):
            cls.browser.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_page_loads_nothing_but_itself(self):
        self.assertEqual(self.requests, ["file://" + self.report])
        self.assertEqual(self.browser.js("return performance.getEntriesByType('resource').map(e => e.name)"), [])
        self.assertEqual(self.browser.js("return performance.getEntriesByType('navigation').map(e => e.name)"),
                         ["file://" + self.report])
        self.assertEqual(self.browser.js("return document.querySelectorAll('img,script,iframe,object,embed,link').length"), 0)

    def test_header_and_summary(self):
        self.assertIn("Jit security report", self.text)
        self.assertIn(self.repo, self.text)
        self.assertIn("jit-agent ", self.text)
        for word in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
            self.assertIn(word, self.text)
        total = len(self.json["findings"])
        self.assertIn(f"{total} findings", self.text)

    def test_every_planted_secret_is_shown_with_its_location(self):
        expected = expected_secrets()
        self.assertGreaterEqual(len(expected), 30)
        for path, line in expected:
            self.assertIn(f"{path}:{line}", self.text)

    def test_hostile_file_name_is_text(self):
        self.assertIn(HOSTILE_SHOWN + ":1:", self.text)
        self.assertNotIn("pwned", self.browser.js("return document.title"))
        self.assertEqual(self.browser.js("return document.images.length"), 0)

    def test_no_secret_value_is_shown_or_in_the_file(self):
        with open(self.report, encoding="utf-8") as f:
            source = f.read()
        self.assertIn(self.token, self.raws)
        for raw in self.raws:
            if len(raw) < 8:
                continue
            self.assertNotIn(raw, self.text)
            self.assertNotIn(raw, source)

    def test_dependencies_grouped_per_package(self):
        django = [f for f in self.json["findings"] if (f.get("dependency") or {}).get("package", "").lower() == "django"]
        self.assertGreater(len(django), 5)
        row = self.browser.js(
            "const r = [...document.querySelectorAll('#dependencies tbody tr')]"
            ".filter(tr => tr.querySelector('strong').textContent.toLowerCase() === 'django');"
            "return r.map(tr => tr.innerText)")
        self.assertEqual(len(row), 1, "one row for Django 3.2.0 in requirements.txt")
        self.assertIn("3.2.0", row[0])
        self.assertIn(f"{len(django)} advisories", row[0])
        self.assertIn("services/api/requirements.txt", row[0])
        self.assertTrue(any(w in row[0] for w in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")), row[0])
        highest = max(django, key=lambda f: ["unknown", "info", "low", "medium", "high", "critical"].index(f["severity"]))
        self.assertIn(highest["severity"].upper(), row[0])
        # The advisories are in a <details>: hidden until opened, which needs no script (a click).
        find = ("const tr = [...document.querySelectorAll('#dependencies tbody tr')]"
                ".find(tr => tr.querySelector('strong').textContent.toLowerCase() === 'django');")
        self.assertFalse(self.browser.js(find + "return tr.querySelector('ul.advisories').checkVisibility()"))
        summary = self.browser.js(find + "return tr.querySelector('summary')")
        self.browser.cmd("POST", f"/element/{next(iter(summary.values()))}/click", {})
        self.assertTrue(self.browser.js(find + "return tr.querySelector('ul.advisories').checkVisibility()"))
        opened = self.browser.js(find + "return tr.querySelector('ul.advisories').innerText")
        for f in django:
            self.assertIn(f["dependency"]["advisory_id"], opened)
            if f["dependency"]["summary"]:
                self.assertIn(f["dependency"]["summary"][:40], opened)

    def test_narrow_screen_has_no_sideways_scrolling(self):
        self.browser.cmd("POST", "/window/rect", {"width": 420, "height": 900})
        try:
            overflow = self.browser.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            self.assertLessEqual(overflow, 0)
            # Tables of findings become cards, each value under its column's name.
            self.assertEqual(self.browser.js("return getComputedStyle(document.querySelector('#secrets thead')).display"),
                             "none")
            self.assertEqual(self.browser.js(
                "return getComputedStyle(document.querySelector('#secrets td'), '::before').content"), '"Location"')
        finally:
            self.browser.cmd("POST", "/window/rect", {"width": 1280, "height": 900})

    def test_printed_page_shows_the_advisories(self):
        self.browser.cmd("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}})
        try:
            printed = self.browser.js("return document.getElementById('dependencies').innerText")
        finally:
            self.browser.cmd("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia", "params": {"media": ""}})
        for f in self.json["findings"]:
            if f.get("dependency"):
                self.assertIn(f["dependency"]["advisory_id"], printed)
        pdf = self.browser.cmd("POST", "/print", {})
        self.assertGreater(len(pdf), 1000)


def main():
    util.require_agent()
    require_browser()
    util.require_shared_data()
    util.main()


if __name__ == "__main__":
    main()
