#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/job/partial.h"
#include "agent/util/error.h"

using namespace agent::job;
using agent::findings::Finding;
using Catch::Matchers::ContainsSubstring;

namespace {

Finding full_finding() {
  Finding f;
  f.control = "secrets";
  f.rule_id = "gitlab-pat";
  f.rule_name = "GitLab personal access token";
  f.description = "A token \"quoted\" and\nmultiline é";
  f.severity = agent::findings::Severity::critical;
  f.confidence = agent::findings::Confidence::medium;
  f.path = "svc/a.py";
  f.line = 3;
  f.column = 9;
  f.end_line = 3;
  f.end_column = 34;
  f.fingerprint = "0123456789abcdef";
  f.commit = std::string(40, 'a');
  f.references = {"https://example.com/r"};
  f.cwes = {"CWE-798"};
  f.secret = agent::findings::SecretDetail{"glpat-…", std::string(64, 'b'), "glpat-THE-RAW-SECRET-VALUE", 4.123456789012345, "base64"};
  agent::findings::DependencyDetail d;
  d.package = "requests";
  d.version = "2.2.0";
  d.ecosystem = "PyPI";
  d.advisory_id = "PYSEC-2014-13";
  d.aliases = {"CVE-2014-1829"};
  d.summary = "leak";
  d.cvss_score = 5.3;
  d.cvss_vector = "CVSS:3.1/AV:N";
  d.fixed_version = "2.3.0";
  d.direct = true;
  d.direct_known = true;
  d.lockfile = "requirements.txt";
  d.folder = "/";
  f.dependency = d;
  f.tool = agent::findings::ToolDetail{"Bandit", "1.7", "bandit-json", "HIGH", "https://h", "x = 1", {"A03:2021"}, "{\"id\":\"B105\"}"};
  f.suppression = agent::findings::Suppression{"false_positive", "test data", "@dev", "ignores.yml:3", "2030-01-01"};
  f.provenance = agent::findings::CommitDetail{"Dev", "dev@example.com", "2024-05-01T12:00:00Z", "add", std::string(40, 'c')};
  return f;
}

Partial sample() {
  Partial p;
  p.shard = {2, 3};
  p.event = {"merge_request", 7, "group/app", std::string(40, 'd'), 12};
  p.mode = "added lines";
  p.repo_config = "folders:\n  - path: /svc\n";
  p.result.findings = {full_finding()};
  Finding plain;
  plain.control = "bandit";
  plain.rule_id = "B101";
  plain.severity = agent::findings::Severity::low;
  plain.path = "x.py";
  p.result.findings.push_back(plain);
  p.result.ignored = {full_finding()};
  p.result.stats.files_scanned = 12;
  p.result.stats.bytes_scanned = 1ull << 40;
  p.result.stats.skipped_excluded = 3;
  p.result.stats.blobs_cached = 9;
  p.result.warnings = {"bad lockfile"};
  p.result.controls = {"secrets", "dependencies", "bandit"};
  p.result.errored_controls = {{"semgrep", "timed out after 5m0s", "/svc"}};
  p.result.skipped_controls = {{"shellcheck", "no shell files", ""}};
  p.result.commit_sha = std::string(40, 'd');
  p.result.start_time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)) + std::chrono::microseconds(123);
  p.result.end_time = p.result.start_time + std::chrono::seconds(3);
  p.sboms = {{"requirements.txt", "/", "requirements.txt", {{"requests", "2.2.0", "PyPI", true, true}}}};
  p.diff = agent::publish::DiffIndex{{"svc/a.py", {"svc/old.py", {1, 2, 3}}}, {"b.txt", {"b.txt", {}}}};
  return p;
}

void check_same_finding(const Finding& a, const Finding& b) {
  CHECK(a.control == b.control);
  CHECK(a.rule_id == b.rule_id);
  CHECK(a.rule_name == b.rule_name);
  CHECK(a.description == b.description);
  CHECK(a.severity == b.severity);
  CHECK(a.confidence == b.confidence);
  CHECK(a.path == b.path);
  CHECK(a.line == b.line);
  CHECK(a.column == b.column);
  CHECK(a.end_line == b.end_line);
  CHECK(a.end_column == b.end_column);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.commit == b.commit);
  CHECK(a.references == b.references);
  CHECK(a.cwes == b.cwes);
  REQUIRE(a.secret.has_value() == b.secret.has_value());
  if (a.secret) {
    CHECK(a.secret->redacted == b.secret->redacted);
    CHECK(a.secret->secret_sha256 == b.secret->secret_sha256);
    CHECK(a.secret->entropy == b.secret->entropy);
    CHECK(a.secret->encoding == b.secret->encoding);
    CHECK(b.secret->raw.empty());  // never written
  }
  REQUIRE(a.dependency.has_value() == b.dependency.has_value());
  if (a.dependency) {
    const auto &x = *a.dependency, &y = *b.dependency;
    CHECK((x.package == y.package && x.version == y.version && x.ecosystem == y.ecosystem &&
           x.advisory_id == y.advisory_id && x.aliases == y.aliases && x.summary == y.summary &&
           x.cvss_score == y.cvss_score && x.cvss_vector == y.cvss_vector && x.fixed_version == y.fixed_version &&
           x.direct == y.direct && x.direct_known == y.direct_known && x.lockfile == y.lockfile && x.folder == y.folder));
  }
  REQUIRE(a.tool.has_value() == b.tool.has_value());
  if (a.tool) {
    const auto &x = *a.tool, &y = *b.tool;
    CHECK((x.tool_name == y.tool_name && x.tool_version == y.tool_version && x.format == y.format &&
           x.original_severity == y.original_severity && x.help_uri == y.help_uri && x.snippet == y.snippet &&
           x.owasp == y.owasp && x.rule_json == y.rule_json));
  }
  REQUIRE(a.suppression.has_value() == b.suppression.has_value());
  if (a.suppression) {
    const auto &x = *a.suppression, &y = *b.suppression;
    CHECK((x.reason == y.reason && x.comment == y.comment && x.author == y.author && x.source == y.source &&
           x.expires == y.expires));
  }
  REQUIRE(a.provenance.has_value() == b.provenance.has_value());
  if (a.provenance) {
    const auto &x = *a.provenance, &y = *b.provenance;
    CHECK((x.author_name == y.author_name && x.author_email == y.author_email && x.date == y.date &&
           x.summary == y.summary && x.blob == y.blob));
  }
}

std::string refusal(std::string_view text) {
  try {
    parse_partial(text, "p.json");
  } catch (const agent::util::Error& e) {
    CHECK(e.code() == agent::job::kExitShards);
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("a partial round-trips every field but the raw secret") {
  const Partial p = sample();
  const std::string text = to_json_text(p);
  CHECK(text.find("THE-RAW-SECRET") == std::string::npos);
  const Partial q = parse_partial(text, "p.json");
  CHECK(q.version == kPartialVersion);
  CHECK(q.shard == p.shard);
  CHECK(q.status == PartialStatus::scanned);
  CHECK(q.event == p.event);
  CHECK(q.mode == p.mode);
  CHECK(q.repo_config == p.repo_config);
  REQUIRE(q.result.findings.size() == 2);
  check_same_finding(p.result.findings[0], q.result.findings[0]);
  check_same_finding(p.result.findings[1], q.result.findings[1]);
  REQUIRE(q.result.ignored.size() == 1);
  check_same_finding(p.result.ignored[0], q.result.ignored[0]);
  CHECK(q.result.stats.files_scanned == 12);
  CHECK(q.result.stats.bytes_scanned == 1ull << 40);
  CHECK(q.result.stats.skipped_excluded == 3);
  CHECK(q.result.stats.blobs_cached == 9);
  CHECK(q.result.warnings == p.result.warnings);
  CHECK(q.result.controls == p.result.controls);
  REQUIRE(q.result.errored_controls.size() == 1);
  CHECK(q.result.errored_controls[0].folder == "/svc");
  REQUIRE(q.result.skipped_controls.size() == 1);
  CHECK(q.result.skipped_controls[0].reason == "no shell files");
  CHECK(q.result.commit_sha == p.result.commit_sha);
  CHECK(q.result.start_time == p.result.start_time);
  CHECK(q.result.end_time == p.result.end_time);
  REQUIRE(q.sboms.size() == 1);
  CHECK(q.sboms[0].components.size() == 1);
  CHECK(q.sboms[0].components[0].name == "requests");
  REQUIRE(q.diff);
  CHECK(q.diff->at("svc/a.py").old_path == "svc/old.py");
  CHECK(q.diff->at("svc/a.py").added == std::set<int>{1, 2, 3});
  CHECK(q.diff->at("b.txt").added.empty());
  CHECK(to_json_text(q) == text);  // stable: writing it again gives the same bytes
}

TEST_CASE("a partial without optional parts round-trips") {
  Partial p;
  p.shard = {1, 1};
  p.status = PartialStatus::deferred;
  p.reason = "a thread command";
  const Partial q = parse_partial(to_json_text(p), "p.json");
  CHECK(q.status == PartialStatus::deferred);
  CHECK(q.reason == "a thread command");
  CHECK_FALSE(q.repo_config);
  CHECK_FALSE(q.diff);
  CHECK(q.result.findings.empty());
}

TEST_CASE("anything but a partial of this version is refused with the shards exit code") {
  CHECK_THAT(refusal("{"), ContainsSubstring("invalid JSON"));
  CHECK_THAT(refusal("{\"vulnerabilities\": []}"), ContainsSubstring("not a jit-agent partial"));
  std::string text = to_json_text(sample());
  std::string other = text;
  other.replace(other.find("\"version\": 1"), 12, "\"version\": 9");
  CHECK_THAT(refusal(other), ContainsSubstring("version 9"));
  std::string bad_shard = text;
  bad_shard.replace(bad_shard.find("\"index\": 2"), 10, "\"index\": 5");
  CHECK_THAT(refusal(bad_shard), ContainsSubstring("not valid"));
  std::string broken = text;
  broken.replace(broken.find("\"severity\": \"critical\""), 22, "\"severity\": 3");
  CHECK_THAT(refusal(broken), ContainsSubstring("malformed"));
}

TEST_CASE("the file name says the shard") {
  CHECK(partial_file_name({2, 3}) == "jit-partial-2-of-3.json");
}
