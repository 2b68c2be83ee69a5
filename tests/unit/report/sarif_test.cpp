#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;
using nlohmann::json;

namespace {
std::string render(const agent::findings::ScanResult& r, const Options& o) { return render_with(write_sarif, r, o); }

const json* result_for(const json& doc, const std::string& rule_id) {
  for (const auto& r : doc["runs"][0]["results"])
    if (r["ruleId"] == rule_id) return &r;
  return nullptr;
}
}  // namespace

TEST_CASE("sarif report matches its golden file") {
  check_golden("sarif.sarif", render(fixture(), options()));
}

TEST_CASE("sarif results point at their rule, carry our fingerprint and map severity to level") {
  json doc = json::parse(render(fixture(), options()));
  CHECK(doc["version"] == "2.1.0");
  REQUIRE(doc["runs"].size() == 1);
  const json& run = doc["runs"][0];
  CHECK(run["tool"]["driver"]["name"] == "jit-agent");
  const json& rules = run["tool"]["driver"]["rules"];
  REQUIRE(run["results"].size() == 8);
  for (const auto& r : run["results"]) {
    CHECK(rules[r["ruleIndex"].get<std::size_t>()]["id"] == r["ruleId"]);
    CHECK(r["partialFingerprints"]["jitFingerprint/v1"].get<std::string>().size() == 64);
    CHECK_FALSE(r["message"]["text"].get<std::string>().empty());
    const json& loc = r["locations"][0]["physicalLocation"];
    CHECK(loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%");
    CHECK(loc["artifactLocation"]["uri"].get<std::string>().front() != '/');
    if (loc.contains("region")) {
      CHECK(loc["region"]["startLine"].get<int>() >= 1);
      if (loc["region"].contains("startColumn")) CHECK(loc["region"]["startColumn"].get<int>() >= 1);
    }
  }
  CHECK((*result_for(doc, "aws-access-key-id"))["level"] == "error");
  CHECK((*result_for(doc, "gitlab-pat"))["level"] == "error");
  CHECK((*result_for(doc, "generic-password"))["level"] == "warning");
  CHECK((*result_for(doc, "jwt"))["level"] == "note");
  for (const auto& rule : rules) {
    std::string score = rule["properties"]["security-severity"];
    CHECK_NOTHROW(std::stod(score));
    if (rule["id"] == "GHSA-xvch-5gv4-984h") CHECK(score == "9.8");  // the advisory's CVSS score
    if (rule["id"] == "gitlab-pat") {
      CHECK(rule["helpUri"] == "https://docs.gitlab.com/ee/user/profile/personal_access_tokens.html");
      CHECK(rule["defaultConfiguration"]["level"] == "error");
    }
  }
}

TEST_CASE("sarif regions use 1-based columns with an exclusive end and encoded relative URIs") {
  json doc = json::parse(render(fixture(), options()));
  const json& pat = (*result_for(doc, "gitlab-pat"))["locations"][0]["physicalLocation"];
  CHECK(pat["artifactLocation"]["uri"] == "config/app%20settings.yml");
  CHECK(pat["region"]["startLine"] == 3);
  CHECK(pat["region"]["startColumn"] == 15);
  CHECK(pat["region"]["endColumn"] == 15 + static_cast<int>(kRawPat.size()));
  const json& jwt = (*result_for(doc, "jwt"))["locations"][0]["physicalLocation"];
  CHECK_FALSE(jwt["region"].contains("startColumn"));
  const json& ecdsa = (*result_for(doc, "GHSA-wj6h-64fc-37mp"))["locations"][0]["physicalLocation"];
  CHECK_FALSE(ecdsa.contains("region"));  // line unknown: no region rather than line 0
  auto r = fixture();
  r.findings[0].path = "/abs/path.py";
  json abs = json::parse(render(r, options()));
  CHECK((*result_for(abs, "aws-access-key-id"))["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] ==
        "abs/path.py");
}

TEST_CASE("sarif never contains raw secrets, even with show_secrets") {
  auto o = options();
  o.show_secrets = true;
  std::string text = render(fixture(), o);
  CHECK(text.find(kRawPat) == std::string::npos);
  CHECK(text.find(kRawAws) == std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("\\u001b") == std::string::npos);  // no escape sequences in messages either
}

TEST_CASE("sarif report of an empty scan has one run with no results") {
  json doc = json::parse(render(agent::findings::ScanResult{}, options()));
  CHECK(doc["runs"][0]["results"].empty());
  CHECK(doc["runs"][0]["tool"]["driver"]["rules"].empty());
}

TEST_CASE("sarif dependency messages read as one sentence per part, whatever the summary ends with") {
  agent::findings::ScanResult r;
  auto f = dependency("/", "requirements.txt", 3, "django", "3.2.0", "PyPI", "PYSEC-2021-109", {},
                      agent::findings::Severity::high, 7.5, "3.2.5", true, true);
  f.dependency->summary = "SQL injection in QuerySet.order_by.";
  r.findings.push_back(f);
  auto doc = json::parse(render(r, options()));
  const std::string text = doc["runs"][0]["results"][0]["message"]["text"];
  CHECK(text == "django 3.2.0 is affected by PYSEC-2021-109: SQL injection in QuerySet.order_by. Fixed in 3.2.5.");
}
