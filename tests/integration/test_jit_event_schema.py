#!/usr/bin/env python3
"""schemas/jit-event.schema.json: a valid draft-07 schema whose examples validate, and which
rejects the mistakes the agent's parser rejects (unknown fields, short shas, missing MR head)."""
import copy
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)

source = os.environ.get("JIT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
with open(os.path.join(source, "schemas", "jit-event.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)

failures = []
examples = schema["examples"]
assert len(examples) >= 3
for example in examples:
    errors = list(validator.iter_errors(example))
    if errors:
        failures.append(f"example {example['kind']} rejected: {errors[0].message}")

mr = examples[0]
bad = []
d = copy.deepcopy(mr); d["merge_requst"] = {}; bad.append(("unknown top-level field", d))
d = copy.deepcopy(mr); d["merge_request"]["head_sha"] = "e59094b"; bad.append(("short sha", d))
d = copy.deepcopy(mr); del d["merge_request"]["head_sha"]; bad.append(("MR without head_sha", d))
d = copy.deepcopy(mr); d["version"] = 2; bad.append(("version 2", d))
d = copy.deepcopy(mr); del d["project"]; bad.append(("MR without project", d))
note = copy.deepcopy(examples[2]); del note["note"]["merge_request_iid"]; bad.append(("MR note without iid", note))
push = copy.deepcopy(examples[1]); push["push"]["ref"] = "master"; bad.append(("short ref", push))
for name, doc in bad:
    if validator.is_valid(doc):
        failures.append(f"schema accepts {name}")

# The documentation shows the same examples.
with open(os.path.join(source, "docs", "jit-event.md")) as f:
    doc_text = f.read()
if '"head_sha": "e59094b8de0f2f91abbe4760a52d9137260252d8"' not in doc_text:
    failures.append("docs/jit-event.md does not show the merge request example")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(examples)} examples valid, {len(bad)} bad documents rejected")
