"""docs/configuration.md, schemas/jit-config.schema.json and the agent agree: every YAML example
of the documentation is valid for both, and invalid files are refused by both."""
import json
import os
import re
import sys
import tempfile
import unittest

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jit_test_util as util  # noqa: E402

SCHEMA = os.path.join(util.SOURCE_DIR, "schemas", "jit-config.schema.json")
DOC = os.path.join(util.SOURCE_DIR, "docs", "configuration.md")
WEBHOOKS = os.path.join(util.SHARED_DATA, "gitlab", "webhooks")

INVALID = [
    "scope: everything\n",
    "controls: {sast: true}\n",
    "fail_on: severe\n",
    "status: {name: ''}\n",
    "exclude: vendor\n",
    "merge_request: {threads: maybe}\n",
    "folders: [{exclude: [a]}]\n",
    "unknown_key: 1\n",
]


def doc_examples():
    with open(DOC) as f:
        return re.findall(r"```yaml\n(.*?)```", f.read(), re.S)


class ConfigDocsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA) as f:
            cls.schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(cls.schema)
        cls.validator = jsonschema.Draft7Validator(cls.schema)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def agent_accepts(self, text):
        """Runs `jit-agent ci --config FILE` on an event that needs no scan: the central file is
        validated before the skip, so exit 0 = valid, 2 = refused."""
        if not os.path.isdir(WEBHOOKS):
            self.skipTest(f"{WEBHOOKS} absent")
        cfg = os.path.join(self.tmp.name, "jit.yml")
        with open(cfg, "w") as f:
            f.write(text)
        payload = os.path.join(WEBHOOKS, "note_merge_request.json")  # a note without a command
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.tmp.name, "TRIGGER_PAYLOAD": payload,
               "CI_PIPELINE_SOURCE": "trigger"}
        p = util.run_agent("ci", "--config", cfg, env=env)
        self.assertIn(p.returncode, (0, 2), p.stderr)
        return p.returncode == 0, p.stderr

    def test_documented_examples_are_valid(self):
        examples = doc_examples()
        self.assertGreaterEqual(len(examples), 4)
        for text in examples:
            if text.lstrip().startswith("ignores:"):  # an ignores.yml example: its own schema and loader
                with self.subTest(example=text[:40]):
                    self.assert_valid_ignores(text)
                continue
            with self.subTest(example=text[:40]):
                self.assertEqual([], [e.message for e in self.validator.iter_errors(yaml.safe_load(text))])
                ok, err = self.agent_accepts(text)
                self.assertTrue(ok, err)

    def assert_valid_ignores(self, text):
        with open(os.path.join(util.SOURCE_DIR, "schemas", "jit-ignores.schema.json")) as f:
            schema = json.load(f)

        class NoDates(yaml.SafeLoader):  # the agent reads dates as strings
            pass
        NoDates.yaml_implicit_resolvers = {
            k: [(t, rx) for t, rx in v if t != "tag:yaml.org,2002:timestamp"]
            for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
        self.assertEqual([], [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(
            yaml.load(text, Loader=NoDates))])
        path = os.path.join(self.tmp.name, "ignores.yml")
        with open(path, "w") as f:
            f.write(text)
        p = util.run_agent("config", "validate", "--layer", "ignores", path)
        os.remove(path)
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)

    def test_schema_examples_are_valid(self):
        for example in self.schema["examples"]:
            self.assertEqual([], list(self.validator.iter_errors(example)))
            ok, err = self.agent_accepts(json.dumps(example))
            self.assertTrue(ok, err)

    def test_invalid_files_are_refused_by_both(self):
        for text in INVALID:
            with self.subTest(text=text):
                self.assertTrue(list(self.validator.iter_errors(yaml.safe_load(text))), "schema accepted it")
                ok, err = self.agent_accepts(text)
                self.assertFalse(ok)
                self.assertRegex(err, r"jit\.yml:\d+:\d+: ")


if __name__ == "__main__":
    util.main()
