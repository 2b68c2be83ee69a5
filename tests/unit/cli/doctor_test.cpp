#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/cli/doctor.h"
#include "agent/cli/setup.h"
#include "agent/util/error.h"

using namespace agent::cli;
using Catch::Matchers::ContainsSubstring;
using namespace std::chrono;

namespace {
const sys_days kToday = sys_days(year(2026) / 12 / 2);
}

TEST_CASE("days_until counts calendar days and refuses what is not a date") {
  CHECK(days_until("2026-12-02", kToday) == 0);
  CHECK(days_until("2026-12-14", kToday) == 12);
  CHECK(days_until("2027-12-02", kToday) == 365);
  CHECK(days_until("2026-11-30", kToday) == -2);
  CHECK_FALSE(days_until("2026-13-01", kToday).has_value());
  CHECK_FALSE(days_until("soon", kToday).has_value());
}

TEST_CASE("the token's expiry: error when expired, warn within 30 days, ok after or never") {
  CHECK(token_expiry_check("token", "", kToday).level == CheckLevel::ok);
  CHECK(token_expiry_check("token", "2027-06-01", kToday).level == CheckLevel::ok);
  Check soon = token_expiry_check("token", "2027-01-01", kToday);
  CHECK(soon.level == CheckLevel::warn);
  CHECK(soon.message == "expires in 30 days (2027-01-01)");
  CHECK(token_expiry_check("token", "2027-01-02", kToday).level == CheckLevel::ok);
  // GitLab refuses a token from the start of its expiry day.
  CHECK(token_expiry_check("token", "2026-12-02", kToday).level == CheckLevel::error);
  CHECK(token_expiry_check("token", "garbage", kToday).level == CheckLevel::warn);
}

TEST_CASE("scopes and the variable's flags") {
  CHECK(token_scopes_check("token", {"api", "write_repository"}).level == CheckLevel::ok);
  Check lacking = token_scopes_check("token", {"read_api"});
  CHECK(lacking.level == CheckLevel::error);
  CHECK_THAT(lacking.message, ContainsSubstring("lack api, write_repository"));
  CHECK(variable_check(true, true, true).level == CheckLevel::ok);
  CHECK(variable_check(true, true, false).level == CheckLevel::warn);
  CHECK(variable_check(true, false, true).level == CheckLevel::warn);
  CHECK(variable_check(false, false, true).level == CheckLevel::error);
}

TEST_CASE("versions and the pinned image") {
  CHECK(compare_versions("0.10.0", "0.9.3") == 1);
  CHECK(compare_versions("v0.1.0", "0.1") == 0);
  CHECK(compare_versions("0.1.0", "0.2.0") == -1);
  CHECK_FALSE(compare_versions("latest", "0.1.0").has_value());
  CHECK_FALSE(compare_versions("1..2", "0.1.0").has_value());
  CHECK(image_check("registry.example.com/sec/jit-agent:0.2.0", "0.2.0").level == CheckLevel::ok);
  CHECK(image_check("registry.example.com:5050/sec/jit-agent:0.3.1", "0.2.0").level == CheckLevel::ok);
  Check old = image_check("$CI_REGISTRY_IMAGE/jit-agent:0.1.0", "0.2.0");
  CHECK(old.level == CheckLevel::warn);
  CHECK_THAT(old.fix, ContainsSubstring(":0.2.0"));
  CHECK(image_check("registry.example.com:5050/sec/jit-agent", "0.2.0").level == CheckLevel::warn);
  CHECK(image_check("jit-agent:latest", "0.2.0").level == CheckLevel::warn);
  CHECK(image_check("jit-agent@sha256:0123", "0.2.0").level == CheckLevel::ok);
  CHECK(image_check("", "0.2.0").level == CheckLevel::warn);
}

TEST_CASE("one line per check and the exit code of the worst") {
  Check w{"token", CheckLevel::warn, "expires in 3 days (2026-12-05)", "rotate it"};
  CHECK(format_check(w) == "warn  token: expires in 3 days (2026-12-05) -> fix: rotate it");
  CHECK(format_check({"trigger", CheckLevel::ok, "exists", "ignored"}) == "ok    trigger: exists");
  CHECK(doctor_exit_code({}) == 0);
  CHECK(doctor_exit_code({{"a", CheckLevel::ok, "", ""}}) == 0);
  CHECK(doctor_exit_code({{"a", CheckLevel::ok, "", ""}, w}) == kExitWarnings);
  CHECK(doctor_exit_code({w, {"b", CheckLevel::error, "", ""}, w}) == kExitProblems);
}

TEST_CASE("the ci preflight is off without a token, or with JIT_DOCTOR=false") {
  auto env = [](std::map<std::string, std::string, std::less<>> vars) {
    return agent::util::Environment::from_map(std::move(vars));
  };
  CHECK(ci_preflight(env({})).empty());
  CHECK(ci_preflight(env({{"CI_API_V4_URL", "http://127.0.0.1:9/api/v4"}})).empty());
  CHECK(ci_preflight(env({{"CI_API_V4_URL", "http://127.0.0.1:9/api/v4"}, {"JIT_CHECKOUT_TOKEN", "glpat-unit-test-123456"},
                          {"JIT_DOCTOR", "false"}}))
            .empty());
  // Nothing listens on port 9: one bounded attempt, a warning, never an exception.
  auto checks = ci_preflight(env({{"CI_API_V4_URL", "http://127.0.0.1:9/api/v4"},
                                  {"JIT_CHECKOUT_TOKEN", "glpat-unit-test-123456"}}));
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].name == "token");
  CHECK(checks[0].level != CheckLevel::ok);
  CHECK(format_check(checks[0]).find("glpat-unit-test-123456") == std::string::npos);
}

TEST_CASE("setup's paths, the pinned pipeline and dates") {
  CHECK(dedicated_project_path("acme", "") == "acme/jit-security");
  CHECK(dedicated_project_path("acme", "security/jit") == "acme/security/jit");
  CHECK(dedicated_project_path("acme", "acme/sec/scans") == "acme/sec/scans");
  CHECK_THROWS_AS(dedicated_project_path("acme", "x/"), agent::util::UsageError);
  const std::string pinned = pipeline_file("registry.example.com/sec/jit-agent:9.9.9");
  CHECK(image_of_pipeline(pinned) == "registry.example.com/sec/jit-agent:9.9.9");
  CHECK(image_of_pipeline(pipeline_file("")) == std::string("$CI_REGISTRY_IMAGE/jit-agent:") + JIT_AGENT_VERSION);
  CHECK(image_of_pipeline("variables:\n  JIT_AGENT_IMAGE: reg.example.com/jit-agent:1.2.3 # pinned\n") ==
        "reg.example.com/jit-agent:1.2.3");
  CHECK(image_of_pipeline("stages: [scan]\n").empty());
  CHECK(iso_date(kToday + days(365)) == "2027-12-02");
}
