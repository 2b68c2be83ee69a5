#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>

#include "agent/controls/external/parsers.h"
#include "support.h"

using namespace agent::controls::external;
using agent::findings::Confidence;
using agent::findings::Finding;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;
using external_test::data_dir;
using external_test::read_text;

namespace {
const Finding& by_rule(const std::vector<Finding>& list, const std::string& rule) {
  auto it = std::find_if(list.begin(), list.end(), [&](const Finding& f) { return f.rule_id == rule; });
  REQUIRE(it != list.end());
  return *it;
}
}  // namespace

TEST_CASE("bandit-json: bandit 1.6's real report of the Python sample") {
  auto report = parse_bandit_json(read_text(data_dir() + "/outputs/bandit.json"));
  REQUIRE(report.findings.size() == 5);
  CHECK(report.warnings.empty());
  const auto& shell = by_rule(report.findings, "B602");
  CHECK(shell.path == "python/app.py");
  CHECK(shell.line == 9);
  CHECK(shell.severity == Severity::high);
  CHECK(shell.confidence == Confidence::high);
  CHECK(shell.rule_name == "subprocess_popen_with_shell_equals_true");
  CHECK_THAT(shell.description, ContainsSubstring("shell=True"));
  REQUIRE(shell.tool);
  CHECK(shell.tool->tool_name == "Bandit");
  CHECK(shell.tool->original_severity == "HIGH");
  CHECK_THAT(shell.tool->help_uri, ContainsSubstring("b602"));
  CHECK(by_rule(report.findings, "B506").severity == Severity::medium);
  CHECK(by_rule(report.findings, "B101").severity == Severity::low);
}

TEST_CASE("bandit-json: newer bandit fields (issue_cwe, col_offset, errors)") {
  auto report = parse_bandit_json(R"({"errors":[{"filename":"bad.py","reason":"syntax error while parsing AST from file"}],
    "metrics":{"_totals":{}},
    "results":[{"code":"x","col_offset":4,"end_col_offset":40,"filename":"/src/a.py","issue_confidence":"MEDIUM",
      "issue_cwe":{"id":78,"link":"https://cwe.mitre.org/data/definitions/78.html"},"issue_severity":"LOW",
      "issue_text":"t","line_number":3,"line_range":[3],"more_info":"https://example.invalid/b","test_id":"B605","test_name":"start_process_with_a_shell"}]})");
  REQUIRE(report.findings.size() == 1);
  const auto& f = report.findings[0];
  CHECK(f.column == 5);
  CHECK(f.end_column == 40);
  CHECK(f.cwes == std::vector<std::string>{"CWE-78"});
  CHECK(f.confidence == Confidence::medium);
  CHECK(f.severity == Severity::low);
  REQUIRE(report.warnings.size() == 1);
  CHECK_THAT(report.warnings[0], ContainsSubstring("bad.py"));
}

TEST_CASE("shellcheck-json1: the real report of the shell samples") {
  auto report = parse_shellcheck_json1(read_text(data_dir() + "/outputs/shellcheck.json"));
  REQUIRE(!report.findings.empty());
  const auto& quote = by_rule(report.findings, "SC2086");
  CHECK(quote.severity == Severity::info);
  CHECK(quote.tool->original_severity == "info");
  CHECK(quote.tool->help_uri == "https://www.shellcheck.net/wiki/SC2086");
  CHECK(quote.references == std::vector<std::string>{"https://www.shellcheck.net/wiki/SC2086"});
  CHECK(quote.column > 0);
  CHECK(quote.end_column >= quote.column);
  // `cd /tmp` without `|| exit`: a warning, low.
  CHECK(by_rule(report.findings, "SC2164").severity == Severity::low);
  bool extensionless = std::any_of(report.findings.begin(), report.findings.end(),
                                   [](const Finding& f) { return f.path == "shell/release"; });
  CHECK(extensionless);
}

TEST_CASE("sarif: flawfinder's real report (rules by id, CWE relationships, uriBaseId)") {
  auto report = parse_sarif(read_text(data_dir() + "/outputs/flawfinder.sarif"));
  REQUIRE(report.findings.size() == 5);
  const auto& strcpy = by_rule(report.findings, "FF1001");
  CHECK(strcpy.path == "c/copy.c");  // %SRCROOT%-style base left unresolved: relative to the root
  CHECK(strcpy.line == 9);
  CHECK(strcpy.severity == Severity::high);  // level "error"
  CHECK(strcpy.cwes == std::vector<std::string>{"CWE-120"});
  CHECK(strcpy.rule_name == "buffer/strcpy");
  CHECK(strcpy.tool->tool_name == "Flawfinder");
  CHECK(strcpy.tool->tool_version == "2.0.19");
  CHECK_THAT(strcpy.tool->rule_json, ContainsSubstring("\"FF1001\""));
  const auto& system = by_rule(report.findings, "FF1044");
  CHECK(system.line == 12);
  CHECK(std::find(system.cwes.begin(), system.cwes.end(), "CWE-78") != system.cwes.end());
  CHECK(by_rule(report.findings, "FF1013").severity == Severity::low);  // "note"
}

TEST_CASE("sarif: eslint's real report (ruleIndex, file:// URIs, exclusive endColumn)") {
  auto report = parse_sarif(read_text(data_dir() + "/outputs/eslint.sarif"));
  REQUIRE(report.findings.size() == 4);
  const auto& exec = by_rule(report.findings, "security/detect-child-process");
  CHECK(exec.path == "/checkout/js/server.js");
  CHECK(exec.line == 5);
  CHECK(exec.column == 3);
  CHECK(exec.end_column == 43);
  CHECK(exec.severity == Severity::medium);
  CHECK_THAT(exec.tool->help_uri, ContainsSubstring("detect-child-process.md"));
  CHECK(exec.tool->tool_name == "ESLint");
  CHECK(by_rule(report.findings, "security/detect-non-literal-regexp").line == 9);
}

TEST_CASE("sarif: security-severity, default levels, tags, ruleIndex and base ids") {
  auto report = parse_sarif(R"({"version":"2.1.0","runs":[
    {"tool":{"driver":{"name":"CodeQL","semanticVersion":"2.15.0","rules":[
       {"id":"py/command-line-injection","name":"CommandInjection","helpUri":"https://codeql.example/cmd",
        "defaultConfiguration":{"level":"error"},
        "properties":{"security-severity":"9.8","tags":["security","external/cwe/cwe-078","external/cwe/cwe-88"]}},
       {"id":"py/unused","defaultConfiguration":{"level":"note"}}]}},
     "originalUriBaseIds":{"SRC":{"uri":"file:///repo/"}},
     "results":[
       {"ruleIndex":0,"message":{"text":"cmd"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"app%20dir/x.py","uriBaseId":"SRC"},"region":{"startLine":4}}}]},
       {"ruleId":"py/unused","message":{"text":"u"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"y.py"}}}]},
       {"ruleId":"ad-hoc","level":"warning","properties":{"tags":["CWE-22"]},"message":{"text":"p"}},
       {"message":{"text":"could not parse z.py"}},
       {"ruleId":"passed","kind":"pass","message":{"text":"ok"}},
       {"ruleId":"hushed","suppressions":[{"kind":"inSource"}],"message":{"text":"nosec"}},
       {"ruleId":"hushed","suppressions":[{"kind":"external","status":"rejected"}],"message":{"text":"kept"}}]},
    {"tool":{"driver":{"name":"Second"}},"results":[{"ruleId":"S1","level":"none","message":{"text":"s"}}],
     "invocations":[{"executionSuccessful":true,"toolExecutionNotifications":[
       {"level":"error","message":{"text":"cannot parse w.py"}},{"level":"note","message":{"text":"took 2s"}}]}]}]})");
  REQUIRE(report.findings.size() == 5);
  CHECK(report.findings[3].rule_id == "hushed");
  CHECK(report.findings[3].description == "kept");
  const auto& cmd = report.findings[0];
  CHECK(cmd.rule_id == "py/command-line-injection");
  CHECK(cmd.severity == Severity::critical);
  CHECK(cmd.path == "/repo/app dir/x.py");
  CHECK(cmd.line == 4);
  CHECK(cmd.end_line == 4);
  CHECK(cmd.cwes == std::vector<std::string>{"CWE-78", "CWE-88"});
  CHECK(cmd.tool->tool_version == "2.15.0");
  CHECK(cmd.tool->original_severity == "error");
  CHECK(cmd.references == std::vector<std::string>{"https://codeql.example/cmd"});
  CHECK(report.findings[1].severity == Severity::low);
  CHECK(report.findings[2].cwes == std::vector<std::string>{"CWE-22"});
  CHECK(report.findings[2].path.empty());
  CHECK(report.findings[4].tool->tool_name == "Second");
  CHECK(report.findings[4].severity == Severity::info);
  REQUIRE(report.warnings.size() == 2);
  CHECK_THAT(report.warnings[0], ContainsSubstring("could not parse z.py"));
  CHECK(report.warnings[1] == "Second: cannot parse w.py");
}

TEST_CASE("gitlab-sast: a 15.2.1 report (identifiers, severity, location)") {
  auto report = parse_gitlab_sast(read_text(data_dir() + "/outputs/gitlab-sast.json"));
  REQUIRE(report.findings.size() == 2);
  const auto& f = report.findings[0];
  CHECK(f.rule_id == "bandit.B602");
  CHECK(f.severity == Severity::high);
  CHECK(f.path == "python/app.py");
  CHECK(f.line == 9);
  CHECK(f.cwes == std::vector<std::string>{"CWE-78"});
  CHECK(f.tool->owasp == std::vector<std::string>{"A03:2021"});
  CHECK(f.tool->tool_name == "Semgrep");
  CHECK(f.tool->tool_version == "1.50.0");
  CHECK(f.tool->help_uri == "https://semgrep.dev/r/gitlab.bandit.B602");
  CHECK(f.references.size() == 3);
  CHECK(report.findings[1].end_line == 14);
  CHECK(report.findings[1].severity == Severity::medium);
}

TEST_CASE("parsers: invalid input names the format and what is wrong") {
  auto message = [](auto fn, const std::string& text) {
    try {
      fn(text);
    } catch (const ReportError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message(parse_sarif, "not json"), ContainsSubstring("sarif: not valid JSON"));
  CHECK_THAT(message(parse_sarif, R"({"version":"2.1.0"})"), ContainsSubstring("has no 'runs' array"));
  CHECK_THAT(message(parse_sarif, R"({"version":"1.0.0","runs":[]})"), ContainsSubstring("version 1.0.0"));
  CHECK_THAT(message(parse_sarif, R"({"runs":[{"results":[]}]})"), ContainsSubstring("runs[0] has no tool.driver"));
  CHECK_THAT(message(parse_sarif, R"({"runs":[{"tool":{"driver":{}},"results":{}}]})"),
             ContainsSubstring("runs[0].results is not an array"));
  CHECK_THAT(message(parse_bandit_json, "[]"), ContainsSubstring("bandit-json: the document is not an object"));
  CHECK_THAT(message(parse_bandit_json, R"({"results":[{"filename":"a.py"}]})"),
             ContainsSubstring("results[0] has no test_id"));
  CHECK_THAT(message(parse_shellcheck_json1, R"([{"file":"a.sh"}])"), ContainsSubstring("shellcheck-json1"));
  CHECK_THAT(message(parse_shellcheck_json1, R"({"comments":[{"file":"a.sh","code":"x"}]})"),
             ContainsSubstring("comments[0] has no numeric 'code'"));
  CHECK_THAT(message(parse_gitlab_sast, R"({"vulnerabilities":[{"id":"1","identifiers":[]}]})"),
             ContainsSubstring("vulnerabilities[0].identifiers is empty"));
  CHECK_THAT(message(parse_gitlab_sast, R"({"version":"15.0.0"})"), ContainsSubstring("has no 'vulnerabilities' array"));
  CHECK_THROWS_AS(parse_report("xml", "<a/>"), ReportError);
}

TEST_CASE("parser helpers: CWE tags, URIs, terminal-safe text") {
  CHECK(cwe_from_tag("external/cwe/cwe-078") == "CWE-78");
  CHECK(cwe_from_tag("CWE-79") == "CWE-79");
  CHECK(cwe_from_tag("cwe-22: path traversal") == "CWE-22");
  CHECK(cwe_from_tag("502") == "CWE-502");
  CHECK(cwe_from_tag("security").empty());
  CHECK(path_from_uri("file:///a/b%20c.py") == "/a/b c.py");
  CHECK(path_from_uri("file://localhost/a.py") == "/a.py");
  CHECK(path_from_uri("src/x.js") == "src/x.js");
  CHECK(path_from_uri("https://example.invalid/x").empty());
  CHECK(terminal_safe("a\x1b[31mred\x1b[0m\x07 b\nc") == "ared b\nc");
  CHECK(terminal_safe("x\ny", false) == "x y");
  CHECK(terminal_safe("\xc2\x9b" "2J ok") == "2J ok");
}
