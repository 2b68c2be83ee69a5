// Every report carries a finding's confidence, in the place its format allows.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>

#include "unit/report/fixture.h"

using namespace agent::report;
using namespace agent::report::test;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {
// Rule id -> confidence in the fixture: the generic password is medium, the JWT low, the rest high.
std::string expected_confidence(const std::string& rule_id) {
  if (rule_id == "generic-password") return "medium";
  if (rule_id == "jwt") return "low";
  return "high";
}
}  // namespace

TEST_CASE("json findings and summary carry the confidence", "[confidence]") {
  json doc = json::parse(render_with(write_json, fixture(), options()));
  for (const auto& f : doc["findings"]) CHECK(f["confidence"] == expected_confidence(f["rule_id"]));
  CHECK(doc["summary"]["by_confidence"] == json{{"high", 6}, {"medium", 1}, {"low", 1}});
}

TEST_CASE("sarif results carry the confidence in their properties", "[confidence]") {
  json doc = json::parse(render_with(write_sarif, fixture(), options()));
  const json& results = doc["runs"][0]["results"];
  REQUIRE(results.size() == 8);
  for (const auto& r : results)
    CHECK(r["properties"]["confidence"] == expected_confidence(r["ruleId"]));
}

TEST_CASE("gitlab vulnerabilities carry the confidence as a named detail", "[confidence]") {
  json doc = json::parse(render_with(write_gitlab_secrets, fixture(), options()));
  for (const auto& v : doc["vulnerabilities"]) {
    const json& d = v["details"]["confidence"];
    CHECK(d["name"] == "Confidence");
    CHECK(d["type"] == "text");
    CHECK(d["value"] == expected_confidence(v["identifiers"][0]["value"]));
    CHECK_FALSE(v.contains("confidence"));  // not a field of GitLab's schema
  }
}

TEST_CASE("text shows every match's confidence and marks low ones", "[confidence]") {
  std::string text = render_with(write_text, fixture(), options());
  CHECK_THAT(text, ContainsSubstring("conf LOW"));
  CHECK_THAT(text, ContainsSubstring("conf medium"));
  CHECK_THAT(text, ContainsSubstring("conf high"));
  CHECK_THAT(text, ContainsSubstring("Confidence: 6 high, 1 medium, 1 low"));
}

TEST_CASE("code quality descriptions say when confidence is not high", "[confidence]") {
  json doc = json::parse(render_with(write_codequality, fixture(), options()));
  for (const auto& issue : doc) {
    const std::string c = expected_confidence(issue["check_name"]);
    if (c == "high") CHECK_THAT(issue["description"].get<std::string>(), !ContainsSubstring("confidence"));
    else CHECK_THAT(issue["description"].get<std::string>(), ContainsSubstring("(" + c + " confidence)"));
  }
}
