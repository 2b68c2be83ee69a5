#include <catch2/catch_test_macros.hpp>

#include <sstream>

#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;

namespace {
std::string render(const agent::findings::ScanResult& r, const Options& o) { return render_with(write_text, r, o); }
}  // namespace

TEST_CASE("text report matches its golden file") {
  check_golden("text.txt", render(fixture(), options()));
}

TEST_CASE("coloured text report matches its golden file") {
  auto o = options();
  o.color = true;
  check_golden("text.color.txt", render(fixture(), o));
}

TEST_CASE("text report never passes terminal sequences from scanned content") {
  auto o = options();
  o.show_secrets = true;
  std::string text = render(fixture(), o);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\a') == std::string::npos);
  o.color = true;
  text = render(fixture(), o);
  // Only our own SGR colour codes may appear: no clear-screen, no hyperlink, no red from a warning.
  CHECK(text.find("\x1b[2J") == std::string::npos);
  CHECK(text.find("\x1b]") == std::string::npos);
  CHECK(text.find("secret\x1b[31m") == std::string::npos);
}

TEST_CASE("text report shows secrets redacted unless show_secrets") {
  std::string redacted = render(fixture(), options());
  CHECK(redacted.find(kRawPat) == std::string::npos);
  CHECK(redacted.find(kRawAws) == std::string::npos);
  CHECK(redacted.find("glpa\xE2\x80\xA6") != std::string::npos);
  auto o = options();
  o.show_secrets = true;
  std::string shown = render(fixture(), o);
  CHECK(shown.find(kRawPat) != std::string::npos);
  CHECK(shown.find(kRawAws) != std::string::npos);
  CHECK(shown.find("**pw**`<img src=x onerror=alert(1)>`hunter2") != std::string::npos);
}

TEST_CASE("text report groups matches by file, and dependencies one row per package with its upgrade") {
  std::string text = render(fixture(), options());
  auto header = text.find("config/app settings.yml\n");
  REQUIRE(header != std::string::npos);
  CHECK(text.find("  3:15", header) < text.find("  10 ", header));  // sorted by line in the group
  CHECK(text.find("config/app settings.yml\n", header + 1) == std::string::npos);  // one header per file
  auto table = text.find("Vulnerable dependencies\n");
  REQUIRE(table != std::string::npos);
  // Sorted by severity, then name: minimist (critical) before ecdsa and lodash (high).
  const auto minimist = text.find("minimist", table), ecdsa = text.find("ecdsa", table), lodash = text.find("lodash", table);
  CHECK(minimist < ecdsa);
  CHECK(ecdsa < lodash);
  // lodash's two advisories are one row: two advisories, one upgrade.
  const auto lodash_line = text.substr(lodash, text.find('\n', lodash) - lodash);
  CHECK(lodash_line.find("4.17.15") != std::string::npos);
  CHECK(lodash_line.find(" 2 ") != std::string::npos);
  CHECK(lodash_line.find("4.17.21") != std::string::npos);
  CHECK(lodash_line.find("direct") != std::string::npos);
  CHECK(text.find("no fix", ecdsa) < text.find('\n', ecdsa));
  CHECK(text.find("services/web/package-lock.json:840") != std::string::npos);
  CHECK(text.find("transitive") != std::string::npos);
  CHECK(text.find("3 packages with 4 advisories: 2 fixed by one upgrade, 0 partly, 1 with no fix") != std::string::npos);
  // The per-advisory lines come only with --details.
  CHECK(text.find("GHSA-p6mc-m468-83gw") == std::string::npos);
  auto o = options();
  o.details = true;
  std::string details = render(fixture(), o);
  CHECK(details.find("Vulnerable dependencies: every advisory") != std::string::npos);
  CHECK(details.find("GHSA-wj6h-64fc-37mp (CVE-2024-23342)") != std::string::npos);
  CHECK(details.find("GHSA-p6mc-m468-83gw") != std::string::npos);
  CHECK(details.find("cvss_v3") != std::string::npos);
  CHECK(details.find("no fix yet") != std::string::npos);
}

TEST_CASE("text: a package no single version fixes shows the best upgrade and what stays open") {
  auto r = fixture();
  for (auto& f : r.findings)
    if (f.dependency && f.dependency->package == "lodash") f.dependency->fix_resolves = {"GHSA-p6mc-m468-83gw"};
  std::string text = render(r, options());
  CHECK(text.find("4.17.21, leaves GHSA-35jh-r3h4-6jhm open") != std::string::npos);
  CHECK(text.find("1 fixed by one upgrade, 1 partly, 1 with no fix") != std::string::npos);
}

TEST_CASE("text summary counts severities, files, bytes, skips and duration") {
  std::string text = render(fixture(), options());
  CHECK(text.find("Findings:   8 (2 critical, 4 high, 1 medium, 1 low)") != std::string::npos);
  CHECK(text.find("42 files, 1.2 MiB (1234567 bytes)") != std::string::npos);
  CHECK(text.find("3 binary, 1 too large, 17 excluded, 2 symlinks, 1 unreadable") != std::string::npos);
  CHECK(text.find("Suppressed: 2") != std::string::npos);
  CHECK(text.find("Duration:   1.23 s") != std::string::npos);
}

TEST_CASE("text report of an empty scan says so") {
  agent::findings::ScanResult empty;
  std::string text = render(empty, options());
  CHECK(text.rfind("No findings.\n", 0) == 0);
  CHECK(text.find("Findings:   0\n") != std::string::npos);
}
