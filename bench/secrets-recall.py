#!/usr/bin/env python3
"""Secrets recall on the peer rule examples (../shared/data/secrets/peer-examples-dev).

Usage: bench/secrets-recall.py [--agent PATH] [--rules PATH]... [--data DIR] [--missed] [--by-rule]

Materializes every example as its own file (the data set's materialize.py), scans the positive
and the negative folders with `jit-agent scan --no-git --format json`, and prints:
  - recall: positive files with at least one finding / positive files, overall and over the
    positives that are secrets (the ones bench/recall-excluded.txt counts out are identifiers or
    placeholders: listed by rule id with the reason);
  - with --missed, every positive that gave no finding (rule id and text);
  - with --by-rule, per peer rule: found/total;
  - hits on negatives (for information only: a negative only says "this one rule must not
    match", and is often a real-looking secret of a sibling format).
Exit code 0; 2 when the data set or the agent is missing.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_exclusions(path):
    """rule_id -> reason, from `rule_id  reason...` lines (# comments)."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not line:
                continue
            parts = line.split(None, 1)
            out[parts[0]] = parts[1] if len(parts) > 1 else ""
    return out


def scan(agent, rules, folder):
    cmd = [agent, "-q", "scan", folder, "--no-git", "--no-cache", "--controls", "secrets",
           "--format", "json", "--fail-on", "none"]
    for r in rules:
        cmd += ["--rules", r]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode not in (0, 1):
        sys.exit("scan failed (%d): %s" % (res.returncode, res.stderr[-2000:]))
    report = json.loads(res.stdout)
    hits = collections.defaultdict(set)
    for f in report["findings"]:
        hits[f["path"]].add(f["rule_id"])
    return hits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", default=os.path.join(ROOT, "build", "jit-agent"))
    ap.add_argument("--rules", action="append", default=[])
    ap.add_argument("--data", default=os.environ.get(
        "JIT_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--exclusions", default=os.path.join(HERE, "recall-excluded.txt"))
    ap.add_argument("--missed", action="store_true")
    ap.add_argument("--by-rule", action="store_true")
    args = ap.parse_args()

    ds = os.path.join(args.data, "secrets", "peer-examples-dev")
    if not os.path.exists(os.path.join(ds, "examples.jsonl")):
        print("secrets-recall: %s is absent: nothing to measure" % ds)
        return 2
    if not os.access(args.agent, os.X_OK):
        print("secrets-recall: no jit-agent at %s (build it, or pass --agent)" % args.agent)
        return 2
    excluded = load_exclusions(args.exclusions)

    with tempfile.TemporaryDirectory(prefix="jit-recall-") as tmp:
        subprocess.run([sys.executable, os.path.join(ds, "materialize.py"),
                        os.path.join(ds, "examples.jsonl"), tmp], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "index.json"), encoding="utf-8") as f:
            index = json.load(f)
        texts = {}
        for rel in index:
            with open(os.path.join(tmp, rel), encoding="utf-8", errors="replace") as f:
                texts[rel] = f.read().rstrip("\n")
        pos_hits = scan(args.agent, args.rules, os.path.join(tmp, "positive"))
        neg_hits = scan(args.agent, args.rules, os.path.join(tmp, "negative"))

    per_rule = collections.defaultdict(lambda: [0, 0])
    total = found = sec_total = sec_found = 0
    missed = []
    for rel, meta in sorted(index.items()):
        if meta["kind"] != "positive":
            continue
        name = rel.split("/", 1)[1]
        hit = bool(pos_hits.get(name))
        total += 1
        found += hit
        per_rule[meta["rule_id"]][1] += 1
        per_rule[meta["rule_id"]][0] += hit
        if meta["rule_id"] not in excluded:
            sec_total += 1
            sec_found += hit
            if not hit:
                missed.append((meta["rule_id"], texts[rel]))
    neg_total = sum(1 for m in index.values() if m["kind"] == "negative")
    neg_hit = sum(1 for rel, m in index.items()
                  if m["kind"] == "negative" and neg_hits.get(rel.split("/", 1)[1]))

    print("positives: %d, found %d (%.1f%%)" % (total, found, 100.0 * found / max(total, 1)))
    print("positives that are secrets: %d (%d counted out as identifiers/placeholders, "
          "see bench/recall-excluded.txt), found %d: recall %.1f%%"
          % (sec_total, total - sec_total, sec_found, 100.0 * sec_found / max(sec_total, 1)))
    print("negatives with a finding (information only): %d of %d" % (neg_hit, neg_total))
    if args.by_rule:
        for rid, (f, t) in sorted(per_rule.items()):
            print("  %-55s %d/%d%s" % (rid, f, t, "  (counted out)" if rid in excluded else ""))
    if args.missed:
        print("missed positives:")
        for rid, text in missed:
            print("  %-45s %s" % (rid, text[:160].replace("\n", "\\n")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
