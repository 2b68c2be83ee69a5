// The MR thread of a GitLab token says what the instance answered; a ci-variable-value thread names
// the variable, never its value.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/publish/render.h"

using namespace agent::publish;
using agent::findings::Finding;
using Catch::Matchers::ContainsSubstring;

namespace {

Finding token(const std::string& status, bool revoked = false) {
  Finding f;
  f.control = "secrets";
  f.rule_id = "gitlab-pat";
  f.rule_name = "GitLab personal access token";
  f.severity = agent::findings::Severity::critical;
  f.path = "deploy/settings.yml";
  f.line = 2;
  f.fingerprint = "abcdef0123456789";
  agent::findings::SecretDetail s;
  s.redacted = "glpa\xE2\x80\xA6";
  s.raw = "glpat-threadtest000000000";
  f.secret = s;
  agent::findings::TokenCheck c;
  c.status = status;
  c.scopes = {"api"};
  c.owner = "@bob";
  c.expires_at = "2027-01-01";
  c.revoked_by_agent = revoked;
  if (status == "inactive" && !revoked) c.reason = "revoked or expired (401)";
  if (status == "unknown") c.reason = "GitLab offers no self-inspection endpoint for a deploy token";
  f.token_check = c;
  return f;
}

}  // namespace

TEST_CASE("thread bodies say what GitLab said about the token", "[token_check]") {
  auto active = thread_body(token("active"));
  CHECK_THAT(active, ContainsSubstring("GitLab says this token is **active** (scopes\\: api\\; owner \\@"));
  CHECK_THAT(active, ContainsSubstring("bob"));  // escaped: no mention
  CHECK_THAT(active, ContainsSubstring("**revoke it now**"));
  CHECK(active.find("@bob") == std::string::npos);
  CHECK_THAT(thread_body(token("inactive")), ContainsSubstring("**is revoked or expired** (revoked or expired \\(401\\))"));
  CHECK_THAT(thread_body(token("inactive", true)), ContainsSubstring("**was revoked by jit-agent**"));
  CHECK_THAT(thread_body(token("unknown")), ContainsSubstring("Not verified with GitLab: GitLab offers no"));
  for (const auto& f : {token("active"), token("inactive"), token("inactive", true)})
    CHECK(thread_body(f).find("glpat-threadtest") == std::string::npos);
}

TEST_CASE("a ci-variable-value thread names the variable", "[token_check]") {
  Finding f;
  f.control = "secrets";
  f.rule_id = "ci-variable-value";
  f.rule_name = "Value of a CI/CD variable";
  f.severity = agent::findings::Severity::critical;
  f.path = "deploy/db.yml";
  f.line = 4;
  f.fingerprint = "abcdef0123456789";
  agent::findings::VariableDetail v;
  v.key = "PROD_DB_PASSWORD";
  v.level = "group";
  v.owner = "acme";
  v.masked = true;
  v.is_protected = true;
  v.form = "base64";
  f.variable = v;
  auto body = thread_body(f);
  CHECK_THAT(body, ContainsSubstring("The value of the masked protected group variable ` PROD_DB_PASSWORD ` (of ` acme `, "
                                     "base64-encoded) is added in ` deploy/db.yml ` line 4"));
  CHECK_THAT(body, ContainsSubstring("Rotate the variable's value"));
}
