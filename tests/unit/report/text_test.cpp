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

TEST_CASE("text report groups matches by file and dependencies by folder and package") {
  std::string text = render(fixture(), options());
  auto header = text.find("config/app settings.yml\n");
  REQUIRE(header != std::string::npos);
  CHECK(text.find("  3:15", header) < text.find("  10 ", header));  // sorted by line in the group
  CHECK(text.find("config/app settings.yml\n", header + 1) == std::string::npos);  // one header per file
  auto web = text.find("folder /services/web");
  auto root = text.find("folder /\n");
  REQUIRE(web != std::string::npos);
  REQUIRE(root != std::string::npos);
  CHECK(root < web);
  CHECK(text.find("lodash", web) < text.find("minimist", web));
  CHECK(text.find("GHSA-wj6h-64fc-37mp (CVE-2024-23342)") != std::string::npos);
  CHECK(text.find("no fix yet") != std::string::npos);
  CHECK(text.find("services/web/package-lock.json:840") != std::string::npos);
  CHECK(text.find("transitive") != std::string::npos);
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
