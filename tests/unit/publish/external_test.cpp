// What external controls' findings look like on a merge request: threads with the tool's facts and
// a fenced snippet, a summary section per control, errored controls stated and their threads kept.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <deque>

#include "agent/publish/markdown.h"
#include "agent/publish/markers.h"
#include "agent/publish/merge_request.h"
#include "agent/publish/render.h"
#include "agent/util/redact.h"
#include "fake_api.h"

using namespace agent::publish;
using agent::findings::ControlIssue;
using agent::findings::Finding;
using agent::findings::ScanResult;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

namespace {

Finding bandit(std::string path, int line, std::string fp) {
  Finding f;
  f.control = "bandit";
  f.rule_id = "B602";
  f.rule_name = "subprocess_popen_with_shell_equals_true";
  f.description = "subprocess call with shell=True identified, security issue.";
  f.severity = Severity::high;
  f.path = std::move(path);
  f.line = line;
  f.fingerprint = std::move(fp);
  f.cwes = {"CWE-78"};
  f.tool = agent::findings::ToolDetail{
      "Bandit", "1.7.5", "bandit-json", "HIGH",
      "https://bandit.readthedocs.io/en/1.7.5/plugins/b602_subprocess_popen_with_shell_equals_true.html",
      "    subprocess.Popen(cmd, shell=True)", {"A03:2021"}, ""};
  return f;
}

/// The body with every fenced block removed (what GitLab renders as Markdown, not as code).
std::string outside_code_blocks(const std::string& body) {
  std::string out, fence;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(pos, end - pos);
    pos = end + 1;
    if (fence.empty() && line.rfind("```", 0) == 0) {
      fence = line.substr(0, line.find_first_not_of('`'));
      continue;
    }
    if (!fence.empty()) {
      if (line == fence) fence.clear();
      continue;
    }
    out += line + "\n";
  }
  return out;
}

struct Fixture {
  test::FakeApi api;
  MergeRequestTarget target{"7", 3, "headsha2"};
  DiffIndex diff;
  MergeRequestOptions options;

  Fixture() {
    api.diff = {{"app/run.py", {10, 11, 12}}};
    diff["app/run.py"] = ChangedFile{"app/run.py", {10, 11, 12}};
  }
  // The outcome points into the result: each one is kept as long as the fixture.
  std::deque<ScanResult> results;
  MergeRequestOutcome run(ScanResult r) {
    results.push_back(std::move(r));
    return publish_merge_request(api, target, results.back(), diff, options);
  }
};

}  // namespace

TEST_CASE("external thread: tool, linked rule, severity, CWE, OWASP, message and a fenced snippet") {
  auto f = bandit("app/run.py", 12, "ab12");
  std::string body = thread_body(f);
  auto marker = parse_thread_markers(body);
  REQUIRE(marker);
  CHECK(marker->fingerprint == "ab12");
  CHECK(marker->control == "bandit");
  CHECK_THAT(body, ContainsSubstring("**Bandit 1\\.7\\.5** · rule [` B602 `](https://bandit.readthedocs.io/en/1.7.5/"
                                     "plugins/b602_subprocess_popen_with_shell_equals_true.html)"));
  CHECK_THAT(body, ContainsSubstring("severity **High** (tool: ` HIGH `)"));
  CHECK_THAT(body, ContainsSubstring("[CWE-78](https://cwe.mitre.org/data/definitions/78.html)"));
  CHECK_THAT(body, ContainsSubstring("OWASP ` A03:2021 `"));
  CHECK_THAT(body, ContainsSubstring("Found in ` app/run.py ` line 12:\n\n```\n    subprocess.Popen(cmd, shell=True)\n```\n"));
  CHECK_THAT(body, ContainsSubstring("subprocess call with shell\\=True identified"));
  // Nothing secrets-specific on this path.
  CHECK(body.find("secret") == std::string::npos);
  CHECK(body.find("Revoke") == std::string::npos);
}

TEST_CASE("external thread: hostile tool output stays inert") {
  auto f = bandit("app/run.py", 12, "ab12");
  f.tool->help_uri = "javascript:alert(1)";
  f.tool->snippet = "x = 1 ```` @all <img src=x onerror=alert(1)>\x1b[2J\n```\nstill code";
  f.description = "see @all #1 !2 <b>bold</b> https://evil.example \x1b]8;;https://evil.example\x1b\\";
  f.rule_id = "B602](https://evil.example)";
  std::string body = thread_body(f);
  CHECK(body.find('\x1b') == std::string::npos);
  CHECK(body.find("javascript") == std::string::npos);
  // The snippet is in a block fenced longer than any backtick run inside it.
  CHECK_THAT(body, ContainsSubstring("\n`````\nx = 1 ```` @all <img src=x onerror=alert(1)> [2J\n```\nstill code\n`````\n"));
  std::string rendered = outside_code_blocks(body);
  CHECK(rendered.find("<img") == std::string::npos);
  CHECK(rendered.find("<b>") == std::string::npos);
  CHECK(rendered.find(" @all") == std::string::npos);  // escaped: "\@" and a word joiner
  CHECK(rendered.find("[` B602") == std::string::npos);  // an unsafe help URI is no link
  CHECK_THAT(rendered, ContainsSubstring("` B602](https://evil.example) `"));  // the rule id stays code
  CHECK_THAT(rendered, ContainsSubstring("https\\:\u2060\\/\\/evil"));  // no autolink in prose
}

TEST_CASE("external thread: our tokens never reach the MR through a snippet") {
  agent::util::global_redactor().add("glpat-PublishTestToken0000");
  auto f = bandit("app/run.py", 12, "ab12");
  f.tool->snippet = "requests.get('https://u:pw@h.example/x', headers={'t': 'glpat-PublishTestToken0000'})";
  std::string body = thread_body(f);
  CHECK(body.find("glpat-PublishTestToken0000") == std::string::npos);
  CHECK(body.find("u:pw@") == std::string::npos);
  CHECK_THAT(body, ContainsSubstring("[REDACTED]"));
}

TEST_CASE("markdown code blocks keep lines, drop control characters, outgrow inner fences") {
  CHECK(markdown::code_block("a\nb") == "```\na\nb\n```\n");
  CHECK(markdown::code_block("a\r\n\x07" "b\n\n") == "```\na\n b\n```\n");
  CHECK(markdown::code_block("``` x ````") == "`````\n``` x ````\n`````\n");
  CHECK(markdown::code_block(std::string(5000, 'x'), 100).size() < 120);
}

TEST_CASE("summary: errored controls said plainly, a section per external control, skipped ones listed") {
  SummaryInput in;
  in.findings = {bandit("app/run.py", 12, "ab12"), bandit("lib/old.py", 3, "cd34")};
  in.findings[1].severity = Severity::medium;
  in.controls = {"secrets", "bandit", "slowtool"};
  in.added = {&in.findings[0]};
  in.outside_diff = {&in.findings[1]};
  in.errored = {{"slowtool", "timed out after 5m0s", ""}, {"bandit", "exited with status 2", "services/api"}};
  in.skipped = {{"eslint", "no JavaScript or TypeScript files", ""}};
  in.fail_on = Severity::critical;
  std::string body = summary_body(in);
  CHECK_THAT(body, StartsWith(std::string(kSummaryMarker) + "\n"));
  CHECK_THAT(body, ContainsSubstring(
                       "- ⚠ **slowtool** did not run: timed out after 5m0s; its findings are missing from this scan\n"));
  CHECK_THAT(body, ContainsSubstring("- ⚠ **bandit** did not run in ` services/api `: exited with status 2; its "
                                     "findings are missing from this scan\n"));
  // The verdict comes first, then the controls that did not run, then the table.
  CHECK(body.find("did not run") < body.find("| Control |"));
  CHECK_THAT(body, ContainsSubstring("| slowtool ⚠ did not run | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"));
  CHECK_THAT(body, ContainsSubstring("| bandit ⚠ did not run | 0 | 1 | 1 | 0 | 0 | 0 | 2 |"));
  CHECK_THAT(body, ContainsSubstring("| secrets | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"));
  CHECK_THAT(body, ContainsSubstring("#### bandit · Bandit 1\\.7\\.5\n\n2 findings (1 high, 1 medium) where it ran; "
                                     "it did not run everywhere (see above) · 1 new on lines this merge request adds\n\n"
                                     "- **High** · subprocess\\_popen\\_with\\_shell\\_equals\\_true in ` app/run.py ` line 12\n"));
  CHECK_THAT(body, ContainsSubstring("#### slowtool\n\nNo findings; it did not run (see above)"));
  CHECK(body.find("#### secrets") == std::string::npos);  // built-in controls keep their table row and lists
  CHECK_THAT(body, ContainsSubstring("<sub>Skipped: **eslint** skipped: no JavaScript or TypeScript files</sub>"));
  CHECK_THAT(body, ContainsSubstring("`gl-sast-report.json`"));

  SummaryInput clean;
  clean.controls = {"secrets"};
  clean.errored = {{"bandit", "bandit: command not found", ""}};
  CHECK_THAT(summary_body(clean), ContainsSubstring("No findings** from the controls that ran"));
}

TEST_CASE("merge request: external findings get threads like secrets; a re-run posts nothing new") {
  Fixture fx;
  ScanResult r;
  r.findings = {bandit("app/run.py", 11, "ab12"), bandit("app/other.py", 3, "cd34")};
  r.controls = {"secrets", "bandit"};
  auto out = fx.run(r);
  CHECK(out.threads_created == 1);
  CHECK(out.errors.empty());
  REQUIRE(fx.api.threads().size() == 1);
  CHECK_THAT(fx.api.threads()[0]->notes.front().body, ContainsSubstring("**Bandit 1\\.7\\.5**"));
  const std::string summary = fx.api.standalone_notes()[0]->body;
  CHECK_THAT(summary, ContainsSubstring("1 new on lines this merge request adds"));
  CHECK_THAT(summary, ContainsSubstring("Outside the diff (1)"));
  auto again = fx.run(r);
  CHECK(again.writes == 0);
  CHECK(again.threads_existing == 1);
}

TEST_CASE("merge request: an errored control's threads are not resolved; its summary says why") {
  Fixture fx;
  ScanResult r;
  r.findings = {bandit("app/run.py", 11, "ab12")};
  r.controls = {"bandit"};
  fx.run(r);
  ScanResult timed_out;
  timed_out.controls = {"bandit"};  // an errored control is listed among those that ran
  timed_out.errored_controls = {ControlIssue{"bandit", "timed out after 5m0s", ""}};
  auto out = fx.run(timed_out);
  CHECK(out.threads_resolved == 0);
  CHECK_FALSE(fx.api.threads()[0]->notes.front().resolved);
  CHECK_THAT(fx.api.standalone_notes()[0]->body,
             ContainsSubstring("**bandit** did not run: timed out after 5m0s; its findings are missing from this scan"));

  ScanResult fixed;  // ran cleanly, finding gone: now the thread is resolved
  fixed.controls = {"bandit"};
  CHECK(fx.run(fixed).threads_resolved == 1);
}

TEST_CASE("a fix commit for an external finding gets a reply without secrets advice") {
  Fixture fx;
  ScanResult r;
  r.findings = {bandit("app/run.py", 11, "ab12")};
  r.controls = {"bandit"};
  fx.run(r);
  fx.diff["app/run.py"].added = {10, 12};  // line 11 is no longer added, the finding is still there
  fx.api.diff = {{"app/run.py", {10, 12}}};
  auto out = fx.run(r);
  CHECK(out.threads_resolved == 1);
  const std::string reply = fx.api.threads()[0]->notes.back().body;
  CHECK(is_resolved_reply(reply));
  CHECK(reply.find("rotate") == std::string::npos);
  CHECK(left_diff_reply("abc", "secrets") == left_diff_reply("abc"));
}
