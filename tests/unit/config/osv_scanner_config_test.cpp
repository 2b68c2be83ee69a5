#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/config/osv_scanner_config.h"
#include "agent/util/error.h"
#include "unit/config/dependency_finding.h"

using namespace agent;
using Catch::Matchers::ContainsSubstring;
using agent::config::test::advisory;

TEST_CASE("osv-scanner.toml: IgnoredVulns and PackageOverrides become ignore entries") {
  const char* text = R"(# migrated from OSV-Scanner
[[IgnoredVulns]]
id = "GO-2022-0968"
ignoreUntil = 2099-11-09 # Optional exception expiry date
reason = "No ssh servers are connected to or hosted in Go lang"

[[IgnoredVulns]]
id = "CVE-2022-1059"

[[PackageOverrides]]
name = "lib"
version = "1.0.0"
ecosystem = "npm"
ignore = true
effectiveUntil = 2099-01-01T00:00:00Z
reason = "internal fork"

[[PackageOverrides]]
name = "licensed-only"
license.override = ["MIT"]

[[PackageOverrides]]
name = "later"
[PackageOverrides.vulnerability]
ignore = true
)";
  auto ig = config::parse_osv_scanner_config(text, "osv-scanner.toml");
  REQUIRE(ig.entries.size() == 4);
  CHECK(ig.entries[0].advisory == "GO-2022-0968");
  CHECK(ig.entries[0].expires == "2099-11-09");
  CHECK(ig.entries[0].comment == "No ssh servers are connected to or hosted in Go lang");
  CHECK(ig.entries[0].reason == config::IgnoreReason::accepted_risk);
  CHECK(ig.entries[0].source == "osv-scanner.toml:2");
  CHECK(ig.entries[2].package == "lib");
  CHECK(ig.entries[2].version == "1.0.0");
  CHECK(ig.entries[2].expires == "2099-01-01");
  CHECK(ig.entries[3].package == "later");

  // An id matches its aliases too, as in OSV-Scanner; an override matches the whole package.
  CHECK(config::matches(ig.entries[1], advisory("GO-2022-1059", "x", "1", "Go", {"CVE-2022-1059"}), ""));
  CHECK(config::matches(ig.entries[2], advisory("GHSA-1", "lib", "1.0.0", "npm"), ""));
  CHECK_FALSE(config::matches(ig.entries[2], advisory("GHSA-1", "lib", "1.0.1", "npm"), ""));
  CHECK_FALSE(config::matches(ig.entries[2], advisory("GHSA-1", "lib", "1.0.0", "PyPI"), ""));

  findings::ScanResult r;
  r.findings = {advisory("GO-2022-0968", "golang.org/x/crypto", "0.1.0", "Go"), advisory("GHSA-2", "other", "1", "npm")};
  CHECK(config::apply_ignores(ig, r, "", "2026-01-01") == 1);
  REQUIRE(r.ignored.size() == 1);
  CHECK(r.ignored[0].suppression->source == "osv-scanner.toml:2");
  CHECK(r.ignored[0].suppression->reason == "accepted_risk");
}

TEST_CASE("osv-scanner.toml: mistakes name the file and line") {
  auto error_of = [](const char* text) {
    try {
      config::parse_osv_scanner_config(text, "osv-scanner.toml");
    } catch (const util::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of("[[IgnoredVulns]]\nreason = \"x\"\n"), ContainsSubstring("osv-scanner.toml:1"));
  CHECK_THAT(error_of("[[IgnoredVulns]]\nreason = \"x\"\n"), ContainsSubstring("needs an 'id'"));
  CHECK_THAT(error_of("[[IgnoredVulns]]\nid = \"A\"\nignoreUntill = 2022-01-01\n"),
             ContainsSubstring("osv-scanner.toml:3"));
  CHECK_THAT(error_of("[[IgnoredVulns]]\nid = \"A\"\nignoreUntil = 2022-13-01\n"), ContainsSubstring("not a real date"));
  CHECK_THAT(error_of("[[IgnoredVulns]]\nid = \"A\"\nignoreUntil = \"soon\"\n"), ContainsSubstring("must be a date"));
  CHECK_THAT(error_of("LoadPath = \"/etc\"\n"), ContainsSubstring("unknown key 'LoadPath'"));
  CHECK_THAT(error_of("[[PackageOverrides]]\nignore = true\n"), ContainsSubstring("needs a 'name'"));
  CHECK_THAT(error_of("[[PackageOverrides]]\nname = \"x\"\nignore = \"yes\"\n"), ContainsSubstring("true or false"));
  CHECK_THAT(error_of("[Other]\n"), ContainsSubstring("unknown table [Other]"));
}
