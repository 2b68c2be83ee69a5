// Reports of a scan with external controls: gitlab-sast, SARIF runs per tool, JSON control
// status and tool objects, text sections per control, codequality check names.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <set>

#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {

json render_json(Writer writer, const agent::findings::ScanResult& r) {
  return json::parse(render_with(writer, r, options()));
}

const json* run_named(const json& doc, const std::string& name) {
  for (const auto& run : doc["runs"])
    if (run["tool"]["driver"]["name"] == name) return &run;
  return nullptr;
}

}  // namespace

TEST_CASE("external reports match their golden files") {
  auto r = fixture_external();
  check_golden("gitlab-sast.json", render_with(write_gitlab_sast, r, options()));
  check_golden("sarif-external.sarif", render_with(write_sarif, r, options()));
  check_golden("json-external.json", render_with(write_json, r, options()));
  check_golden("text-external.txt", render_with(write_text, r, options()));
  check_golden("codequality-external.json", render_with(write_codequality, r, options()));
}

TEST_CASE("gitlab-sast: only external findings, tool rule as the primary identifier, CWE and OWASP ids") {
  json doc = render_json(write_gitlab_sast, fixture_external());
  CHECK(doc["version"] == "15.2.1");
  CHECK(doc["scan"]["type"] == "sast");
  CHECK(doc["scan"]["analyzer"]["id"] == "jit-agent");
  CHECK(doc["scan"]["scanner"]["id"] == "jit-agent-sast");
  CHECK(doc["scan"]["status"] == "success");  // bandit, flawfinder and shellcheck produced results
  const json& vulns = doc["vulnerabilities"];
  REQUIRE(vulns.size() == 5);
  std::set<std::string> ids;
  for (const auto& v : vulns) {
    ids.insert(v["id"].get<std::string>());
    CHECK(v["identifiers"][0]["type"] != "jit_agent_rule_id");
    CHECK(v["details"]["tool"]["value"].get<std::string>().size() > 0);
  }
  CHECK(ids.size() == 5);
  const json* found = nullptr;
  for (const auto& v : vulns)
    if (v["identifiers"][0]["value"] == "B602") found = &v;
  REQUIRE(found);
  const json& b602 = *found;
  CHECK(b602["location"]["file"] == "services/api/run.py");
  CHECK(b602["location"]["start_line"] == 12);
  CHECK(b602["location"]["end_line"] == 12);
  CHECK(b602["severity"] == "High");
  CHECK(b602["identifiers"][0] == json{{"type", "bandit"},
                                       {"name", "Bandit B602"},
                                       {"value", "B602"},
                                       {"url", "https://bandit.readthedocs.io/en/1.7.5/plugins/"
                                               "b602_subprocess_popen_with_shell_equals_true.html"}});
  CHECK(b602["identifiers"][1] == json{{"type", "cwe"},
                                       {"name", "CWE-78"},
                                       {"value", "78"},
                                       {"url", "https://cwe.mitre.org/data/definitions/78.html"}});
  CHECK(b602["identifiers"][2]["type"] == "owasp");
  CHECK(b602["identifiers"][2]["name"] == "A03:2021 - Injection");
  CHECK(b602["identifiers"][2]["value"] == "A03:2021");
  CHECK(b602["raw_source_code_extract"] == "subprocess.Popen(cmd, shell=True)");
  // Stable ids: the same fingerprint gives the same uuid in every run.
  CHECK(render_json(write_gitlab_sast, fixture_external())["vulnerabilities"][3]["id"] == b602["id"]);
  CHECK(vulns[3]["location"]["file"] == "services/api/run.py");
}

TEST_CASE("gitlab-sast: errored controls are messages; failure only when no external control produced results") {
  auto r = fixture_external();
  json doc = render_json(write_gitlab_sast, r);
  std::vector<std::string> warns, infos;
  for (const auto& m : doc["scan"]["messages"]) {
    if (m["level"] == "warn") warns.push_back(m["value"]);
    if (m["level"] == "info") infos.push_back(m["value"]);
  }
  CHECK(std::find(warns.begin(), warns.end(),
                  "eslint did not run: timed out after 5m0s; its findings are missing from this report") != warns.end());
  CHECK(std::find(warns.begin(), warns.end(),
                  "bandit did not run in services/worker: exited with status 2 (error); its findings are missing "
                  "from this report") != warns.end());
  CHECK(std::find(infos.begin(), infos.end(), "flawfinder skipped in services/web: no C or C++ files") != infos.end());

  agent::findings::ScanResult all_failed;
  all_failed.controls = {"secrets", "bandit"};
  all_failed.errored_controls = {{"bandit", "bandit: command not found", ""}};
  json failed = render_json(write_gitlab_sast, all_failed);
  CHECK(failed["scan"]["status"] == "failure");
  CHECK(failed["scan"]["messages"][0]["level"] == "fatal");
  CHECK(failed["vulnerabilities"].empty());
}

TEST_CASE("gitlab-sast of a scan without external findings is valid and empty") {
  json doc = render_json(write_gitlab_sast, fixture());
  CHECK(doc["vulnerabilities"] == json::array());
  CHECK(doc["scan"]["status"] == "success");
  json empty = render_json(write_gitlab_sast, agent::findings::ScanResult{});
  CHECK(empty["vulnerabilities"] == json::array());
  CHECK_FALSE(empty["scan"].contains("messages"));
}

TEST_CASE("sarif: one run for the built-in controls, one per external tool with its own driver and rules") {
  json doc = render_json(write_sarif, fixture_external());
  REQUIRE(doc["runs"].size() == 5);  // jit-agent, bandit, eslint, flawfinder, shellcheck
  const json& builtin = doc["runs"][0];
  CHECK(builtin["tool"]["driver"]["name"] == "jit-agent");
  CHECK(builtin["results"].size() == 8);  // the secrets and dependencies of fixture()
  CHECK(builtin["invocations"][0]["executionSuccessful"] == true);

  const json* flawfinder = run_named(doc, "Flawfinder");
  REQUIRE(flawfinder);
  CHECK((*flawfinder)["tool"]["driver"]["version"] == "2.0.19");
  const json& rules = (*flawfinder)["tool"]["driver"]["rules"];
  REQUIRE(rules.size() == 1);  // two results, one rule
  CHECK(rules[0]["id"] == "FF1001");
  CHECK(rules[0]["name"] == "buffer/strcpy");  // the tool's own metadata, kept
  CHECK(rules[0]["fullDescription"]["text"] ==
        "Consider using snprintf, strcpy_s, or strlcpy (warning: strncpy easily misused).");
  CHECK(rules[0]["defaultConfiguration"]["level"] == "error");
  CHECK_FALSE(rules[0].contains("relationships"));
  CHECK(rules[0]["properties"]["security-severity"] == "8.0");
  CHECK((*flawfinder)["results"].size() == 2);
  for (const auto& res : (*flawfinder)["results"]) {
    CHECK(res["ruleId"] == "FF1001");
    CHECK(res["ruleIndex"] == 0);
    CHECK(res["level"] == "error");
    CHECK(res["partialFingerprints"]["jitFingerprint/v1"].get<std::string>().size() == 64);
  }
  CHECK((*flawfinder)["invocations"][0]["executionSuccessful"] == true);
  CHECK((*flawfinder)["invocations"][0]["toolExecutionNotifications"][0]["level"] == "note");

  const json* bandit = run_named(doc, "Bandit");
  REQUIRE(bandit);
  CHECK((*bandit)["invocations"][0]["executionSuccessful"] == false);
  CHECK((*bandit)["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] ==
        "bandit did not run in services/worker: exited with status 2 (error)");
  CHECK((*bandit)["tool"]["driver"]["rules"][0]["helpUri"] ==
        "https://bandit.readthedocs.io/en/1.7.5/plugins/b105_hardcoded_password_string.html");

  const json* eslint = run_named(doc, "eslint");  // errored everywhere: a run with no results
  REQUIRE(eslint);
  CHECK((*eslint)["results"].empty());
  CHECK((*eslint)["invocations"][0]["executionSuccessful"] == false);

  const json* shellcheck = run_named(doc, "ShellCheck");
  REQUIRE(shellcheck);
  CHECK_FALSE((*shellcheck)["tool"]["driver"]["rules"][0].contains("helpUri"));  // javascript: is no help page
  CHECK_FALSE((*shellcheck)["tool"]["driver"].contains("version"));
}

TEST_CASE("json: each finding's tool object and every control's status") {
  json doc = render_json(write_json, fixture_external());
  CHECK(doc["schema_version"] == "1");
  CHECK(doc["schema_minor"] == 5);
  CHECK(doc["controls"] == json::array({"secrets", "dependencies", "bandit", "flawfinder", "shellcheck", "eslint"}));
  const json& status = doc["control_status"];
  CHECK(status[0] == json{{"name", "secrets"}, {"status", "ran"}, {"reason", nullptr}, {"folder", nullptr}});
  bool eslint_ran = false, eslint_errored = false, bandit_ran = false, bandit_errored = false, skipped = false;
  for (const auto& s : status) {
    if (s["name"] == "eslint") (s["status"] == "ran" ? eslint_ran : eslint_errored) = true;
    if (s["name"] == "bandit" && s["status"] == "ran") bandit_ran = true;
    if (s["name"] == "bandit" && s["status"] == "errored") {
      bandit_errored = true;
      CHECK(s["folder"] == "services/worker");
      CHECK(s["reason"] == "exited with status 2 (error)");  // no escape sequences
    }
    if (s["name"] == "flawfinder" && s["status"] == "skipped") skipped = s["reason"] == "no C or C++ files";
  }
  CHECK_FALSE(eslint_ran);  // errored for the whole scan
  CHECK(eslint_errored);
  CHECK(bandit_ran);  // errored in one folder, ran in the others
  CHECK(bandit_errored);
  CHECK(skipped);
  for (const auto& f : doc["findings"]) {
    if (f["control"] == "secrets" || f["control"] == "dependencies") {
      CHECK(f["tool"].is_null());
      continue;
    }
    CHECK(f["tool"]["name"].is_string());
    if (f["rule_id"] == "FF1001") CHECK(f["tool"]["rule"]["name"] == "buffer/strcpy");
    if (f["rule_id"] == "B602") {
      CHECK(f["tool"]["snippet"] == "subprocess.Popen(cmd, shell=True)");
      CHECK(f["tool"]["owasp"] == json::array({"A03:2021"}));
      CHECK(f["tool"]["original_severity"] == "HIGH");
    }
    if (f["rule_id"] == "SC2086") CHECK(f["tool"]["version"].is_null());
  }
}

TEST_CASE("text: a section per external control and a controls footer, terminal-safe") {
  std::string text = render_with(write_text, fixture_external(), options());
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK_THAT(text, ContainsSubstring("bandit (Bandit 1.7.5)\n"));
  CHECK_THAT(text, ContainsSubstring("flawfinder (Flawfinder 2.0.19)\n"));
  CHECK_THAT(text, ContainsSubstring("services/api/run.py:12      B602  HIGH  subprocess call"));
  CHECK_THAT(text, ContainsSubstring("Controls\n  errored  eslint did not run: timed out after 5m0s; its findings are missing\n"));
  CHECK_THAT(text, ContainsSubstring("  skipped  flawfinder skipped in services/web: no C or C++ files\n"));
  // Sections come in order: secrets by file, dependencies, then each external control by name.
  auto deps = text.find("Vulnerable dependencies");
  auto bandit = text.find("bandit (Bandit");
  auto shellcheck = text.find("shellcheck (ShellCheck)");
  auto footer = text.find("Controls\n");
  auto summary = text.find("Summary\n");
  CHECK(deps < bandit);
  CHECK(bandit < shellcheck);
  CHECK(shellcheck < footer);
  CHECK(footer < summary);
  auto colored = options();
  colored.color = true;
  CHECK_THAT(render_with(write_text, fixture_external(), colored), ContainsSubstring("\x1b[1;31merrored\x1b[0m"));
}

TEST_CASE("codequality: external findings with check_name tool:rule") {
  json doc = render_json(write_codequality, fixture_external());
  std::set<std::string> names;
  for (const auto& issue : doc) names.insert(issue["check_name"].get<std::string>());
  CHECK(names.count("bandit:B602"));
  CHECK(names.count("flawfinder:FF1001"));
  CHECK(names.count("shellcheck:SC2086"));
  CHECK(names.count("gitlab-pat"));  // built-in controls keep their rule id
  for (const auto& issue : doc) CHECK(issue["description"].get<std::string>().find('\x1b') == std::string::npos);
}
