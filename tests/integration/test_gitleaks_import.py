"""Migration from gitleaks: `rules import-gitleaks` on gitleaks' default config and test configs
(../shared/data/secrets/gitleaks), `.gitleaksignore` honoured by `scan`, and secrets found inside
base64/hex/percent-encoded text (`--decode-depth`)."""
import base64
import json
import os
import re
import shutil
import tempfile
import unittest

import jit_test_util as util

GITLEAKS = os.path.join(util.SHARED_DATA, "secrets", "gitleaks")


def counts(stderr):
    m = re.search(r": (\d+) of (\d+) rules imported, (\d+) skipped", stderr)
    return tuple(int(g) for g in m.groups()) if m else None


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="jit-gitleaks-")
        self.env = {"JIT_CACHE_DIR": os.path.join(self.tmp, "cache")}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel, text):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def scan_json(self, root, *extra):
        r = util.run_agent("scan", root, "--no-git", "--controls", "secrets", "--format", "json",
                           "--fail-on", "none", "--show-secrets", *extra, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)


class ImportGitleaks(Base):
    def require_data(self):
        if not os.path.isdir(GITLEAKS):
            self.skipTest(f"{GITLEAKS} is absent (../shared/data is only on CI and developer machines)")

    def test_default_config_imports_and_passes_rules_check(self):
        self.require_data()
        out = os.path.join(self.tmp, "gitleaks-pack.yaml")
        r = util.run_agent("rules", "import-gitleaks", os.path.join(GITLEAKS, "gitleaks.toml"), "-o", out,
                           env=self.env, timeout=1200)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        imported, total, skipped = counts(r.stderr)
        print(f"\ngitleaks default config: {imported} of {total} rules imported, {skipped} skipped")
        for line in r.stderr.splitlines():
            if line.startswith("skipped:"):
                print("  " + line)
        self.assertEqual(imported + skipped, total)
        self.assertGreaterEqual(total, 200)
        self.assertGreaterEqual(imported, total * 0.8)
        check = util.run_agent("rules", "check", "--no-cache", out, env=self.env, timeout=1200)
        self.assertEqual(check.returncode, 0, check.stdout[-3000:] + check.stderr[-2000:])
        self.assertRegex(check.stdout, r"\d+ rules, \d+ examples, 0 failures")

    def test_extend_path_and_rule_allowlist(self):
        self.require_data()
        valid = os.path.join(GITLEAKS, "testdata", "config", "valid")
        r = util.run_agent("rules", "import-gitleaks", os.path.join(valid, "extend.toml"), env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        # extend.toml's own rule plus the rules of the files it extends (extend_base_1 -> 2 -> 3).
        ids = re.findall(r"^  - id: (\S+)$", r.stdout, re.M)
        self.assertGreaterEqual(len(ids), 2, r.stdout)
        r = util.run_agent("rules", "import-gitleaks", os.path.join(valid, "allowlist_rule_path.toml"), env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("allowlist paths dropped", r.stderr)
        r = util.run_agent("rules", "import-gitleaks", os.path.join(valid, "rule_path_only.toml"), env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("path-only rule", r.stderr)
        self.assertEqual(counts(r.stderr), (0, 1, 1))

    def test_small_config_roundtrip(self):
        config = self.write("gl.toml", """
title = "custom"
[allowlist]
stopwords = ["notasecret"]
[[rules]]
id = "acme_Token"
description = "ACME API token"
regex = '''\\b(acme_[a-z0-9]{24})\\b'''
keywords = ["ACME_"]
entropy = 3.0
tags = ["acme"]
[[rules.allowlists]]
regexes = ['''^acme_0+$''']
[[rules]]
id = "php-secret"
regex = '''(?i)secret\\s*=\\s*['"]([a-z0-9]{20})['"]'''
secretGroup = 1
path = '''(?i)\\.php$'''
""")
        out = os.path.join(self.tmp, "pack.yaml")
        r = util.run_agent("rules", "import-gitleaks", config, "-o", out, "--id-prefix", "gl-", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(counts(r.stderr), (2, 2, 0))
        text = open(out, encoding="utf-8").read()
        self.assertIn("id: gl-acme-token", text)
        self.assertIn("keywords: [acme_]", text)
        check = util.run_agent("rules", "check", "--no-cache", out, env=self.env)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        # The pack scans: the token is found, the stop-word and the allow-listed value are not.
        token = "acme_" + util.rand("abcdefghijklmnopqrstuvwxyz0123456789", 24, seed=7)
        self.write("src/app.cfg", f"a = {token}\nb = acme_000000000000000000000000\nc = acme_notasecret12345678901234\n")
        found = self.scan_json(os.path.join(self.tmp, "src"), "--rules", out)["findings"]
        self.assertEqual([f["secret"]["raw"] for f in found], [token])


class GitleaksIgnore(Base):
    def test_fingerprints_suppress_and_are_counted(self):
        pat1, pat2 = util.fake_gitlab_pat(seed=11), util.fake_gitlab_pat(seed=12)
        root = os.path.join(self.tmp, "repo")
        self.write("repo/api/a.env", f"X=1\nGITLAB_TOKEN={pat1}\n")
        self.write("repo/b.env", f"GITLAB_TOKEN={pat2}\n")
        before = self.scan_json(root)
        rules = {f["path"]: f["rule_id"] for f in before["findings"]}
        self.assertEqual(len(before["findings"]), 2, before)
        self.write("repo/.gitleaksignore",
                   f"# migrated from gitleaks\napi/a.env:{rules['api/a.env']}:2\n"
                   f"0123456789abcdef0123456789abcdef01234567:b.env:{rules['b.env']}:1\nnot a fingerprint\n")
        after = self.scan_json(root)
        # The commit-qualified line only matches findings of that commit: a folder scan has none.
        self.assertEqual([f["path"] for f in after["findings"]], ["b.env"])
        self.assertEqual(after["stats"]["suppressed"], 1)


class Decoding(Base):
    def test_base64_hex_percent_and_depth(self):
        pat = util.fake_gitlab_pat(seed=21)
        b64 = base64.b64encode(f"token: {pat}\n".encode()).decode()
        hexed = f"token={pat}".encode().hex()
        self.write("src/k8s.yaml", f"data:\n  creds: {b64}\n")
        self.write("src/hex.txt", f"x {hexed}\n")
        self.write("src/url.txt", f"https://x.example.com/cb?token={pat}&next=%2Fhome%2Fuser%2Fsettings\n")
        self.write("src/pct.txt", f"https://x.example.com/cb?state=%7B%22token%22%3A%22{pat}%22%7D\n")
        root = os.path.join(self.tmp, "src")
        found = self.scan_json(root)["findings"]
        by_path = {f["path"]: f for f in found}
        self.assertEqual(by_path["k8s.yaml"]["secret"].get("encoding"), "base64")
        self.assertEqual((by_path["k8s.yaml"]["line"], by_path["k8s.yaml"]["column"]), (2, 10))
        self.assertEqual(by_path["hex.txt"]["secret"].get("encoding"), "hex")
        # The token is plain in the percent-encoded URL: reported once, as plain text.
        self.assertEqual(len([f for f in found if f["path"] == "url.txt"]), 1)
        self.assertNotIn("encoding", by_path["url.txt"]["secret"])
        self.assertEqual(by_path["pct.txt"]["secret"].get("encoding"), "percent")
        self.assertEqual(len({f["fingerprint"] for f in found}), len(found))
        # Without decoding, only the plain token and the generic high-entropy `creds:` value; with
        # decoding, the vendor's finding inside that value replaced the generic one (one finding).
        self.assertEqual(len([f for f in found if f["path"] == "k8s.yaml"]), 1)
        none = self.scan_json(root, "--decode-depth", "0")["findings"]
        self.assertEqual([(f["path"], f["rule_id"].startswith("generic-")) for f in none],
                         [("k8s.yaml", True), ("url.txt", False)])
        # GitLab's report stays valid: the encoding is said in the description.
        gl = os.path.join(self.tmp, "gl.json")
        r = util.run_agent("scan", root, "--no-git", "--controls", "secrets", "--fail-on", "none",
                           "--report", f"gitlab={gl}", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        vulns = json.load(open(gl, encoding="utf-8"))["vulnerabilities"]
        self.assertTrue(any("base64-encoded" in v["description"] for v in vulns))


if __name__ == "__main__":
    util.main()
