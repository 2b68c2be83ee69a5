"""`jit-agent scan` end to end: file selection, edge cases, output safety, exit codes."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from jit_test_util import fake_github_pat, fake_gitlab_pat, main, run_agent


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


class ScanTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="jit-scan-")
        os.chmod(self.dir, 0o755)
        self.pat = fake_gitlab_pat()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def scan_json(self, *args, root=None):
        r = run_agent("scan", root or self.dir, "--format", "json", "--fail-on", "none", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout), r

    def paths(self, report):
        return sorted({f["path"] for f in report["findings"]})

    def test_finds_secret_with_position_and_redaction(self):
        write(f"{self.dir}/app/config.py", f'import os\n\nTOKEN = "{self.pat}"\n')
        report, _ = self.scan_json()
        hits = [f for f in report["findings"] if f["path"] == "app/config.py"]
        self.assertEqual(len(hits), 1, report)
        self.assertEqual(hits[0]["line"], 3)
        self.assertEqual(hits[0]["column"], 10)
        self.assertNotIn(self.pat, json.dumps(report))

    def test_exit_codes_and_fail_on(self):
        write(f"{self.dir}/a.env", f"GITLAB_TOKEN={self.pat}\n")
        self.assertEqual(run_agent("scan", self.dir).returncode, 1)
        self.assertEqual(run_agent("scan", self.dir, "--fail-on", "none").returncode, 0)
        clean = tempfile.mkdtemp(dir=self.dir)
        write(f"{clean}/ok.txt", "nothing to see\n")
        self.assertEqual(run_agent("scan", clean).returncode, 0)
        r = run_agent("scan", self.dir, "--fail-on", "severe")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--fail-on", r.stderr)
        r = run_agent("scan", os.path.join(self.dir, "missing"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such file", r.stderr)
        self.assertEqual(run_agent("scan", self.dir, "--format", "yaml").returncode, 2)
        self.assertEqual(run_agent("scan", self.dir, "--max-file-size", "big").returncode, 2)

    def test_terminal_output_is_redacted_and_sanitized(self):
        write(f"{self.dir}/evil\x1b[2Jname.txt", f"x = '{self.pat}' \x1b]8;;http://evil\x07\n")
        r = run_agent("scan", self.dir, "--color", "always")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn(self.pat, r.stdout)
        self.assertNotIn("\x1b[2J", r.stdout)
        self.assertNotIn("\x1b]8", r.stdout)
        self.assertNotIn("\x07", r.stdout)
        shown = run_agent("scan", self.dir, "--show-secrets")
        self.assertIn(self.pat, shown.stdout)

    def test_edge_case_files(self):
        write(f"{self.dir}/empty.txt", "")
        write(f"{self.dir}/binary.bin", b"\x00\x01\x02" + self.pat.encode() + b"\x00", "wb")
        write(f"{self.dir}/big.txt", "a" * (11 << 20) + self.pat, "w")
        os.makedirs(f"{self.dir}/names")
        with open(os.path.join(self.dir.encode(), b"names", b"caf\xe9-\xff.env"), "w") as f:
            f.write(f"TOKEN={self.pat}\n")
        outside = tempfile.mkdtemp(prefix="jit-outside-")
        try:
            write(f"{outside}/secret.env", f"TOKEN={fake_github_pat()}\n")
            os.symlink(f"{outside}/secret.env", f"{self.dir}/link.env")
            os.symlink(outside, f"{self.dir}/linkdir")
            report, _ = self.scan_json()
        finally:
            shutil.rmtree(outside)
        paths = self.paths(report)
        self.assertEqual(len(paths), 1, paths)            # only the non-UTF-8 name
        self.assertTrue(paths[0].startswith("names/caf"), paths)
        stats = report["stats"]
        self.assertEqual(stats["skipped_binary"], 1)
        self.assertEqual(stats["skipped_too_large"], 1)
        self.assertEqual(stats["skipped_symlinks"], 2)
        self.assertGreaterEqual(stats["files_scanned"], 2)   # empty.txt and the odd name

    def test_large_single_line_with_higher_limit(self):
        line = ("x" * 49 + " ") * (1 << 20)   # 50 MiB, one line
        write(f"{self.dir}/one-line.txt", line + f"token={self.pat}")
        report, _ = self.scan_json("--max-file-size", "64MiB")
        hits = [f for f in report["findings"] if f["path"] == "one-line.txt"]
        self.assertEqual(len(hits), 1)
        self.assertEqual(hits[0]["line"], 1)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root to drop to nobody")
    def test_unreadable_file_is_a_warning_not_a_failure(self):
        write(f"{self.dir}/locked.env", f"TOKEN={self.pat}\n")
        write(f"{self.dir}/open.env", f"TOKEN={fake_gitlab_pat(7)}\n")
        os.chmod(f"{self.dir}/locked.env", 0)
        for root, dirs, files in os.walk(self.dir):
            for name in files:
                if name != "locked.env":
                    os.chmod(os.path.join(root, name), 0o644)
        r = run_agent("scan", self.dir, "--format", "json", "--fail-on", "none", "--no-cache",
                      user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(self.paths(report), ["open.env"])
        self.assertEqual(report["stats"]["unreadable"], 1)
        self.assertIn("locked.env", r.stderr)
        # Excluded before reading: no warning at all.
        r = run_agent("scan", self.dir, "--exclude", "locked.env", "--fail-on", "none", "--no-cache",
                      user="nobody")
        self.assertNotIn("locked.env", r.stderr)

    def test_excludes_prune_folders(self):
        write(f"{self.dir}/node_modules/pkg/index.js", f"const t = '{self.pat}'\n")
        write(f"{self.dir}/src/app.min.js", f"const t = '{self.pat}'\n")
        write(f"{self.dir}/src/app.js", f"const t = '{self.pat}'\n")
        report, _ = self.scan_json("--exclude", "node_modules/**", "--exclude", "*.min.js")
        self.assertEqual(self.paths(report), ["src/app.js"])
        self.assertEqual(report["stats"]["skipped_excluded"], 2)

    def test_git_checkout_tracked_and_untracked_not_ignored(self):
        git = ["git", "-C", self.dir, "-c", "user.email=t@example.com", "-c", "user.name=t"]
        subprocess.run(["git", "init", "-q", self.dir], check=True)
        write(f"{self.dir}/.gitignore", "ignored.env\n")
        write(f"{self.dir}/tracked.env", f"TOKEN={self.pat}\n")
        subprocess.run(git + ["add", "."], check=True)
        subprocess.run(git + ["commit", "-qm", "init"], check=True)
        write(f"{self.dir}/untracked.env", f"TOKEN={self.pat}\n")
        write(f"{self.dir}/ignored.env", f"TOKEN={self.pat}\n")
        report, _ = self.scan_json()
        self.assertEqual(self.paths(report), ["tracked.env", "untracked.env"])
        head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        self.assertEqual(report["commit"], head)
        report, _ = self.scan_json("--no-git")
        self.assertEqual(self.paths(report), ["ignored.env", "tracked.env", "untracked.env"])
        # A sub-folder of a checkout: paths relative to it.
        write(f"{self.dir}/sub/deep.env", f"TOKEN={self.pat}\n")
        subprocess.run(git + ["add", "sub"], check=True)
        report, _ = self.scan_json(root=f"{self.dir}/sub")
        self.assertEqual(self.paths(report), ["deep.env"])

    def test_inline_suppression(self):
        write(f"{self.dir}/s.py", f'A = "{self.pat}"  # jit:allow\nB = "{fake_gitlab_pat(3)}"  # gitleaks:allow\n')
        report, _ = self.scan_json()
        self.assertEqual(report["findings"], [])
        self.assertEqual(report["stats"]["suppressed"], 2)

    def test_reports_written_atomically_alongside_stdout(self):
        write(f"{self.dir}/a.env", f"TOKEN={self.pat}\n")
        out = tempfile.mkdtemp()
        try:
            r = run_agent("scan", self.dir, "--report", f"sarif={out}/r.sarif",
                          "--report", f"json={out}/r.json", "--fail-on", "none")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sorted(os.listdir(out)), ["r.json", "r.sarif"])
            self.assertIn("a.env", r.stdout)   # text still on stdout
            r = run_agent("scan", self.dir, "--report", "sarif")
            self.assertEqual(r.returncode, 2)
        finally:
            shutil.rmtree(out)

    def test_sbom_dir_writes_one_cyclonedx_per_lockfile(self):
        write(f"{self.dir}/web/package-lock.json", json.dumps({
            "name": "web", "lockfileVersion": 3, "packages": {
                "": {"name": "web", "dependencies": {"left-pad": "1.3.0"}},
                "node_modules/left-pad": {"version": "1.3.0"}}}))
        write(f"{self.dir}/requirements.txt", "requests==2.31.0\n")
        out = tempfile.mkdtemp()
        try:
            r = run_agent("scan", self.dir, "--sbom-dir", out, "--fail-on", "none", "--controls", "dependencies")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sorted(os.listdir(out)), ["requirements.txt.cdx.json", "web__package-lock.json.cdx.json"])
            with open(f"{out}/web__package-lock.json.cdx.json") as f:
                sbom = json.load(f)
            self.assertEqual(("CycloneDX", "1.5"), (sbom["bomFormat"], sbom["specVersion"]))
            self.assertIn("pkg:npm/left-pad@1.3.0", [c.get("purl") for c in sbom["components"]])
        finally:
            shutil.rmtree(out)

    # A credential-file rule: only `.netrc`, weak passwords kept as low confidence (issue 7).
    NETRC_RULES = r"""rules:
  - id: test-netrc-password
    name: Password in a .netrc file
    severity: high
    pattern: '\bpassword[ \t]+(?P<secret>\S+)'
    paths: [.netrc, _netrc]
    filter_placeholders: structural
    low_confidence_entropy: 3.0
    examples:
      - 'machine example.com login me password Xk9pQ2rT7vB4nM8s'
      - {path: home/_netrc, text: 'machine h login me password hunter22'}
    negative_examples:
      - 'machine h login me password ${NETRC_PASSWORD}'
      - {path: README.md, text: 'machine h login me password Xk9pQ2rT7vB4nM8s'}
"""

    def test_confidence_paths_and_min_confidence(self):
        rules = f"{self.dir}-rules.yaml"
        write(rules, self.NETRC_RULES)
        try:
            check = run_agent("rules", "check", "--no-cache", rules)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertIn("1 rules, 4 examples, 0 failures", check.stdout)
            write(f"{self.dir}/.netrc", "machine a.example.com login me password Xk9pQ2rT7vB4nM8s\n"
                                        "machine b.example.com login me password hunter22\n"
                                        "machine c.example.com login me password <password>\n")
            write(f"{self.dir}/docs/netrc.md", "machine a.example.com login me password Xk9pQ2rT7vB4nM8s\n")
            report, _ = self.scan_json("--rules", rules)
            got = [(f["path"], f["line"], f["confidence"]) for f in report["findings"]]
            self.assertEqual(got, [(".netrc", 1, "high"), (".netrc", 2, "low")])
            self.assertEqual(report["summary"]["by_confidence"], {"high": 1, "medium": 0, "low": 1})

            strict, _ = self.scan_json("--rules", rules, "--min-confidence", "medium")
            self.assertEqual([f["line"] for f in strict["findings"]], [1])

            sarif = run_agent("scan", self.dir, "--rules", rules, "--format", "sarif", "--fail-on", "none")
            props = [r["properties"]["confidence"] for r in json.loads(sarif.stdout)["runs"][0]["results"]]
            self.assertEqual(props, ["high", "low"])
            text = run_agent("scan", self.dir, "--rules", rules, "--color", "never")
            self.assertIn("conf LOW", text.stdout)
            self.assertIn("Confidence: 1 high, 0 medium, 1 low", text.stdout)

            # Low-confidence findings count for --fail-on unless --min-confidence drops them.
            write(f"{self.dir}/.netrc", "machine b.example.com login me password hunter22\n")
            self.assertEqual(run_agent("scan", self.dir, "--rules", rules).returncode, 1)
            self.assertEqual(run_agent("scan", self.dir, "--rules", rules, "--min-confidence", "medium").returncode, 0)
            bad = run_agent("scan", self.dir, "--rules", rules, "--min-confidence", "sure")
            self.assertEqual(bad.returncode, 2)
            self.assertIn("--min-confidence sure: expected high, medium or low", bad.stderr)
        finally:
            os.unlink(rules)


if __name__ == "__main__":
    main()
