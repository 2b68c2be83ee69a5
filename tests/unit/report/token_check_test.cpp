// Every writer renders a finding's token check and a ci-variable-value finding's variable; none of
// them prints a token or any part of a variable's value, and none shows an empty secret oddly.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>

#include <sstream>

#include "agent/report/report.h"
#include "fixture.h"

using namespace agent;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr const char* kToken = "glpat-reportcheck0000000x";

findings::ScanResult with_token(const std::string& status, bool revoked_by_agent = false) {
  findings::ScanResult r;
  r.controls = {"secrets"};
  auto f = report::test::secret("a.yml", 2, 3, "gitlab-pat", "GitLab personal access token", findings::Severity::low,
                                kToken, "glpa\xE2\x80\xA6");
  findings::TokenCheck c;
  c.status = status;
  c.reason = status == "inactive" ? "revoked or expired (401)" : status == "unknown" ? "no answer: timed out" : "";
  c.revoked_by_agent = revoked_by_agent;
  c.original_severity = "critical";
  f.token_check = c;
  r.findings.push_back(f);
  return r;
}

findings::ScanResult with_variable() {
  findings::ScanResult r;
  r.controls = {"secrets"};
  findings::Finding f;
  f.control = "secrets";
  f.rule_id = "ci-variable-value";
  f.rule_name = "Value of a CI/CD variable";
  f.severity = findings::Severity::critical;
  f.path = "deploy/db.yml";
  f.line = 4;
  f.fingerprint = "abcdef0123456789";
  findings::VariableDetail v;
  v.key = "PROD_DB_PASSWORD";
  v.level = "group";
  v.owner = "acme";
  v.masked = true;
  v.is_protected = true;
  v.form = "base64";
  f.variable = v;
  r.findings.push_back(f);
  return r;
}

std::string render(const std::string& format, const findings::ScanResult& r) {
  std::ostringstream out;
  report::Options o;
  o.tool_version = "0.0.0-test";
  report::writer_for(format)(out, r, o);
  return out.str();
}

}  // namespace

TEST_CASE("the token check in every report, never the token", "[token_check]") {
  for (const char* format : {"json", "sarif", "gitlab", "text", "html"}) {
    INFO(format);
    auto inactive = render(format, with_token("inactive"));
    REQUIRE(inactive.find(kToken) == std::string::npos);
    REQUIRE_THAT(inactive, ContainsSubstring("revoked or expired"));
  }
  REQUIRE_THAT(render("text", with_token("active")), ContainsSubstring("[active]"));
  REQUIRE_THAT(render("text", with_token("inactive", true)), ContainsSubstring("[revoked by jit-agent]"));
  REQUIRE_THAT(render("gitlab", with_token("active")), ContainsSubstring("GitLab says this token is active"));
  auto j = nlohmann::json::parse(render("json", with_token("inactive")));
  REQUIRE(j["schema_minor"] == 5);
  const auto& c = j["findings"][0]["token_check"];
  REQUIRE(c["status"] == "inactive");
  REQUIRE(c["label"] == "revoked or expired");
  REQUIRE(c["original_severity"] == "critical");
  REQUIRE(c["owner"].is_null());
  auto s = nlohmann::json::parse(render("sarif", with_token("unknown")));
  REQUIRE(s["runs"][0]["results"][0]["properties"]["tokenCheck"]["status"] == "unknown");
  REQUIRE(nlohmann::json::parse(render("json", report::test::fixture()))["findings"].size() > 0);
}

TEST_CASE("a ci-variable-value finding names its variable in every report", "[token_check]") {
  for (const char* format : {"json", "sarif", "gitlab", "text", "html"}) {
    INFO(format);
    auto out = render(format, with_variable());
    REQUIRE_THAT(out, ContainsSubstring("PROD_DB_PASSWORD"));
    REQUIRE(out.find("found: ") == std::string::npos);  // no empty "secret" after a colon
    REQUIRE(out.find("Match (redacted)") == std::string::npos);
  }
  auto j = nlohmann::json::parse(render("json", with_variable()));
  const auto& f = j["findings"][0];
  REQUIRE(f["secret"].is_null());
  REQUIRE(f["variable"]["key"] == "PROD_DB_PASSWORD");
  REQUIRE(f["variable"]["level"] == "group");
  REQUIRE(f["variable"]["protected"] == true);
  REQUIRE_THAT(render("text", with_variable()), ContainsSubstring("variable PROD_DB_PASSWORD (acme)"));
}
