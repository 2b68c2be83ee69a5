#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/config/vex.h"
#include "agent/util/error.h"
#include "unit/config/dependency_finding.h"

using namespace agent;
using Catch::Matchers::ContainsSubstring;
using agent::config::test::advisory;

namespace {

std::string error_of(const std::string& text) {
  try {
    config::parse_vex(text, "vex.json");
  } catch (const util::UsageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("VEX: package URLs name packages by type, name and (optional) version") {
  auto d = [](std::string p, std::string v, std::string e) {
    return *advisory("X", std::move(p), std::move(v), std::move(e)).dependency;
  };
  CHECK(config::purl_matches("pkg:npm/%40babel/core@7.0.0", d("@babel/core", "7.0.0", "npm")));
  CHECK(config::purl_matches("pkg:npm/lodash", d("lodash", "4.17.15", "npm")));
  CHECK_FALSE(config::purl_matches("pkg:npm/lodash@4.17.21", d("lodash", "4.17.15", "npm")));
  CHECK(config::purl_matches("pkg:pypi/django-rest@3.2?repository_url=x", d("Django_Rest", "3.2", "PyPI")));
  CHECK(config::purl_matches("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                             d("org.apache.logging.log4j:log4j-core", "2.14.1", "Maven")));
  CHECK(config::purl_matches("pkg:golang/github.com/gin-gonic/gin@v1.5.0", d("github.com/gin-gonic/gin", "v1.5.0", "Go")));
  CHECK_FALSE(config::purl_matches("pkg:pypi/lodash", d("lodash", "1", "npm")));
  CHECK_FALSE(config::purl_matches("not-a-purl", d("lodash", "1", "npm")));
}

TEST_CASE("VEX: not_affected and fixed statements dismiss the findings they cover, with their justification") {
  const std::string text = R"({
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.com/vex/1",
    "author": "Security team",
    "timestamp": "2026-01-01T00:00:00Z",
    "version": 1,
    "statements": [
      {"vulnerability": {"name": "CVE-2021-23337"},
       "products": [{"@id": "https://example.com/app", "subcomponents": [{"@id": "pkg:npm/lodash@4.17.15"}]}],
       "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
       "impact_statement": "template() is never called"},
      {"vulnerability": "GHSA-fixd-fixd-fixd", "products": ["pkg:npm/minimist"], "status": "fixed"},
      {"vulnerability": {"name": "CVE-2020-8203"}, "products": [{"@id": "pkg:npm/lodash"}],
       "status": "not_affected", "justification": "component_not_present"},
      {"vulnerability": {"name": "CVE-2020-8203"}, "products": [{"@id": "pkg:npm/lodash"}],
       "status": "affected", "action_statement": "upgrade"}
    ]})";
  auto doc = config::parse_vex(text, "vex.json");
  REQUIRE(doc.statements.size() == 4);
  findings::ScanResult r;
  r.findings = {advisory("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.15", "npm", {"CVE-2021-23337"}),
                advisory("GHSA-fixd-fixd-fixd", "minimist", "1.2.0", "npm"),
                advisory("GHSA-p6mc-m468-83gw", "lodash", "4.17.15", "npm", {"CVE-2020-8203"}),
                advisory("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.15", "PyPI", {"CVE-2021-23337"})};
  CHECK(config::apply_vex({doc}, r) == 2);
  REQUIRE(r.ignored.size() == 2);
  CHECK(r.ignored[0].suppression->comment ==
        "VEX not_affected (vulnerable_code_not_in_execute_path): template() is never called");
  CHECK(r.ignored[0].suppression->source == "vex.json: statement 1");
  CHECK(r.ignored[1].suppression->comment == "VEX fixed");
  // The later "affected" statement wins over the earlier not_affected one; another ecosystem never matches.
  CHECK(r.findings.size() == 2);
}

TEST_CASE("VEX: documents that break the spec are refused with the statement named") {
  CHECK_THAT(error_of("{"), ContainsSubstring("vex.json: not valid JSON"));
  CHECK_THAT(error_of(R"({"statements": []})"), ContainsSubstring("not an OpenVEX document"));
  const std::string head = R"({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [)";
  CHECK_THAT(error_of(head + R"({"vulnerability": {"name": "CVE-1"}, "products": ["pkg:npm/a"], "status": "not_affected"}]})"),
             ContainsSubstring("statement 1: a not_affected statement needs a justification"));
  CHECK_THAT(error_of(head + R"({"vulnerability": {"name": "CVE-1"}, "products": ["pkg:npm/a"], "status": "maybe"}]})"),
             ContainsSubstring("status \"maybe\" is not one of"));
  CHECK_THAT(error_of(head + R"({"vulnerability": {"name": "CVE-1"}, "products": ["pkg:npm/a"], "status": "not_affected",
                                  "justification": "trust_me"}]})"),
             ContainsSubstring("justification \"trust_me\""));
  CHECK_THAT(error_of(head + R"({"vulnerability": {"name": "CVE-1"}, "status": "fixed"}]})"),
             ContainsSubstring("names no product"));
}
