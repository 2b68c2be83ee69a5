#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/publish/markers.h"
#include "agent/publish/render.h"
#include "agent/publish/status.h"

using namespace agent::publish;
using agent::findings::Finding;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

namespace {
Finding finding(std::string control, Severity sev, std::string path = "a.py", int line = 3) {
  Finding f;
  f.control = std::move(control);
  f.rule_id = "rule-1";
  f.rule_name = "Rule one";
  f.severity = sev;
  f.path = std::move(path);
  f.line = line;
  f.fingerprint = "abcdef0123456789";
  return f;
}
}  // namespace

TEST_CASE("markers round-trip and are only read at the start") {
  std::string m = thread_markers("ABCDEF12", "secrets");
  CHECK(m == "<!-- jit-agent:fingerprint=abcdef12 -->\n<!-- jit-agent:control=secrets -->\n");
  auto parsed = parse_thread_markers(m + "body");
  REQUIRE(parsed);
  CHECK(parsed->fingerprint == "abcdef12");
  CHECK(parsed->control == "secrets");
  CHECK_FALSE(parse_thread_markers("text\n<!-- jit-agent:fingerprint=abcdef12 -->"));
  CHECK_FALSE(parse_thread_markers("<!-- jit-agent:fingerprint=not-hex -->"));
  CHECK_FALSE(parse_thread_markers("<!-- jit-agent:fingerprint=ab\n -->"));
  // Values that could break out of the comment never get into a marker.
  CHECK(thread_markers("ab --> <img>", "x --> y") == "");
  auto only_fp = parse_thread_markers("<!-- jit-agent:fingerprint=ff -->\r\nrest");
  REQUIRE(only_fp);
  CHECK(only_fp->control.empty());
  CHECK(is_summary(std::string(kSummaryMarker) + "\n..."));
  CHECK_FALSE(is_summary(" " + std::string(kSummaryMarker)));
  CHECK(is_resolved_reply(resolved_reply("0123456789abcdef")));
}

TEST_CASE("thread bodies: markers first, file names and matches as code") {
  Finding f = finding("secrets", Severity::high, "src/[x](https:/evil)@admin.py", 7);
  f.secret = agent::findings::SecretDetail{"AKIA…", "", "", 3.5};
  std::string body = thread_body(f);
  CHECK_THAT(body, StartsWith("<!-- jit-agent:fingerprint=abcdef0123456789 -->\n<!-- jit-agent:control=secrets -->\n"));
  CHECK_THAT(body, ContainsSubstring("` src/[x](https:/evil)@admin.py ` line 7"));
  CHECK_THAT(body, ContainsSubstring("` AKIA… `"));
  CHECK_THAT(body, ContainsSubstring("**High**"));
  CHECK(body == thread_body(f));  // deterministic
}

TEST_CASE("dependency thread bodies name package, version, advisory and fix") {
  Finding f = finding("dependencies", Severity::critical, "package-lock.json", 20);
  f.dependency = agent::findings::DependencyDetail{};
  f.dependency->package = "lodash";
  f.dependency->version = "4.17.15";
  f.dependency->ecosystem = "npm";
  f.dependency->advisory_id = "GHSA-p6mc-m468-83gw";
  f.dependency->fixed_version = "4.17.19";
  f.dependency->summary = "Prototype pollution <script>";
  std::string body = thread_body(f);
  CHECK_THAT(body, ContainsSubstring("**Critical** · **Vulnerable dependency** · ` rule-1 `"));
  CHECK_THAT(body, ContainsSubstring("` lodash ` ` 4.17.15 ` (npm) in ` package-lock.json ` line 20"));
  CHECK_THAT(body, ContainsSubstring("Fixed in ` 4.17.19 `"));
  CHECK(body.find("<script>") == std::string::npos);
}

TEST_CASE("without a fingerprint a stable one is derived") {
  Finding f = finding("secrets", Severity::low);
  f.fingerprint.clear();
  CHECK(fingerprint_of(f).size() == 64);
  CHECK(fingerprint_of(f) == fingerprint_of(f));
}

TEST_CASE("summary: counts per control and severity, verdict, lists") {
  SummaryInput in;
  in.findings = {finding("secrets", Severity::high), finding("secrets", Severity::critical),
                 finding("dependencies", Severity::medium)};
  in.controls = {"secrets", "dependencies", "semgrep"};
  in.outside_diff = {&in.findings[2]};
  in.head_sha = "0123456789abcdef";
  in.fail_on = Severity::high;
  in.pipeline_url = "https://gitlab.example.com/g/p/-/pipelines/9";
  std::string body = summary_body(in);
  CHECK_THAT(body, StartsWith(std::string(kSummaryMarker) + "\n"));
  CHECK_THAT(body, ContainsSubstring("2 findings at or above high"));
  CHECK_THAT(body, ContainsSubstring("| secrets | 1 | 1 | 0 | 0 | 0 | 0 | 2 |"));
  CHECK_THAT(body, ContainsSubstring("| dependencies | 0 | 0 | 1 | 0 | 0 | 0 | 1 |"));
  CHECK_THAT(body, ContainsSubstring("| semgrep | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"));
  CHECK_THAT(body, ContainsSubstring("Outside the diff (1)"));
  CHECK_THAT(body, ContainsSubstring("commit ` 01234567 `"));
  CHECK_THAT(body, ContainsSubstring("[Pipeline](https://gitlab.example.com/g/p/-/pipelines/9)"));
  CHECK_THAT(body, ContainsSubstring("`gl-dependency-scanning-report.json`"));

  in.pipeline_url = "javascript:alert(1)";
  CHECK(summary_body(in).find("javascript") == std::string::npos);
  in.findings.clear();
  in.outside_diff.clear();
  CHECK_THAT(summary_body(in), ContainsSubstring("No findings"));
}

TEST_CASE("summary lists are capped") {
  SummaryInput in;
  for (int i = 0; i < 60; ++i) in.findings.push_back(finding("secrets", Severity::low, "f" + std::to_string(i)));
  for (const auto& f : in.findings) in.outside_diff.push_back(&f);
  in.max_listed = 50;
  std::string body = summary_body(in);
  CHECK_THAT(body, ContainsSubstring("and 10 more"));
  CHECK_THAT(body, ContainsSubstring("none at or above high") || ContainsSubstring("60 findings"));
}

TEST_CASE("status descriptions: one line, counts, verdict, at most 255 characters") {
  CHECK(status_description({}, Severity::high) == "jit-agent: no findings");
  std::vector<Finding> list = {finding("secrets", Severity::high), finding("secrets", Severity::medium)};
  CHECK(status_description(list, Severity::high) == "jit-agent: 2 findings (1 high, 1 medium); 1 at or above high");
  CHECK(status_description(list, Severity::critical) ==
        "jit-agent: 2 findings (1 high, 1 medium); none at or above critical");
  CHECK(status_description(list, std::nullopt) == "jit-agent: 2 findings (1 high, 1 medium)");
  CHECK(count_failing(list, Severity::medium) == 2);
  CHECK(count_failing(list, std::nullopt) == 0);

  auto s = commit_status("failed", "jit-security", std::string(300, 'x') + "\nsecond line", "https://h/-/jobs/1", "main");
  CHECK(s.description.size() <= 255);
  CHECK(s.description.find('\n') == std::string::npos);
  CHECK(s.target_url == "https://h/-/jobs/1");
  CHECK(s.ref == "main");
  auto t = commit_status("running", "jit-security", "x", "https://h/" + std::string(300, 'a'), std::string(300, 'r'));
  CHECK(t.target_url.empty());
  CHECK(t.ref.empty());
}
