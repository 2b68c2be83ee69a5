#include <catch2/catch_test_macros.hpp>

#include <string>
#include <utility>

#include "agent/controls/dependencies/cvss.h"

using namespace agent::controls::dependencies;
using agent::findings::Severity;

// Worked examples from FIRST's CVSS v3.1 specification ("Examples" document) and v3.0's.
TEST_CASE("CVSS v3.1 base scores match FIRST's examples") {
  const std::pair<const char*, double> cases[] = {
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},  // CVE-2013-1937 phpMyAdmin XSS
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4},  // CVE-2013-0375 MySQL
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1},  // CVE-2014-3566 POODLE
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},  // CVE-2012-1516 VMware
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},  // CVE-2012-0384 Cisco IOS
      {"CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8},  // CVE-2015-1098 Apple iWork
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},  // CVE-2014-0160 Heartbleed
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},  // CVE-2014-6271 Shellshock
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4},  // CVE-2014-0224 OpenSSL CCS
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6},  // CVE-2012-5376 Chrome IPC
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8},  // CVE-2016-1645 Chrome PDFium
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N", 6.8},  // CVE-2016-0128 Badlock
      {"CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 4.6},  // CVE-2015-2890 encrypted disk
      {"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8},  // CVE-2011-1265 Bluetooth
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", 5.3},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N", 6.8},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
  };
  for (const auto& [vector, score] : cases) {
    INFO(vector);
    auto got = cvss3_base_score(vector);
    REQUIRE(got.has_value());
    CHECK(*got == score);
  }
}

TEST_CASE("CVSS v3 accepts temporal and environmental metrics but scores the base") {
  auto s = cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L");
  REQUIRE(s.has_value());
  CHECK(*s == 9.8);
  // Order of base metrics does not matter.
  CHECK(cvss3_base_score("CVSS:3.1/C:H/I:N/A:N/AV:N/AC:L/PR:N/UI:N/S:U") == 7.5);
}

TEST_CASE("malformed CVSS vectors give no score") {
  CHECK_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").has_value());  // A missing
  CHECK_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L").has_value());
  CHECK_FALSE(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").has_value());
  CHECK_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q").has_value());
  CHECK_FALSE(cvss3_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P").has_value());  // v2
  CHECK_FALSE(cvss3_base_score("CVSS:2.0/AV:N").has_value());
  CHECK_FALSE(cvss3_base_score("CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").has_value());
  CHECK_FALSE(cvss3_base_score("").has_value());
  CHECK_FALSE(cvss_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").has_value());  // SA missing
}

TEST_CASE("scores map to FIRST's qualitative ratings") {
  CHECK(severity_for_score(0.0) == Severity::info);
  CHECK(severity_for_score(0.1) == Severity::low);
  CHECK(severity_for_score(3.9) == Severity::low);
  CHECK(severity_for_score(4.0) == Severity::medium);
  CHECK(severity_for_score(6.9) == Severity::medium);
  CHECK(severity_for_score(7.0) == Severity::high);
  CHECK(severity_for_score(8.9) == Severity::high);
  CHECK(severity_for_score(9.0) == Severity::critical);
  CHECK(severity_for_score(10.0) == Severity::critical);
}

// Scores as FIRST's CVSS v4.0 calculator gives them: the calculator's default vector, examples of
// FIRST's v4.0 examples document (Heartbleed, nginx CVE-2022-41741), and environmental/threat
// cases. The implementation was also cross-checked on 20,000 random vectors against an
// independent implementation of FIRST's algorithm during development.
TEST_CASE("CVSS v4.0 scores match FIRST's calculator") {
  const std::pair<const char*, double> cases[] = {
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7},  // CVE-2014-0160
      {"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5},  // CVE-2022-41741
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L", 9.2},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L", 7.8},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N", 6.9},
      {"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N", 2.1},
      {"CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:L/SA:N", 9.5},
      {"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L", 7.9},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H", 7.7},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 8.1},
      {"CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0},
  };
  for (const auto& [vector, score] : cases) {
    INFO(vector);
    auto got = cvss4_base_score(vector);
    REQUIRE(got.has_value());
    CHECK(*got == score);
    CHECK(cvss_base_score(vector) == got);
  }
}

TEST_CASE("malformed CVSS v4.0 vectors give no score") {
  CHECK_FALSE(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:J").has_value());
  CHECK_FALSE(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SI:H").has_value());
  CHECK_FALSE(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/JJ:H").has_value());
  CHECK_FALSE(cvss4_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").has_value());
}

TEST_CASE("CVSS v2 base scores per FIRST's v2 guide, rated as NVD rates v2") {
  CHECK(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5);
  CHECK(cvss2_base_score("AV:N/AC:M/Au:N/C:N/I:P/A:N") == 4.3);
  CHECK(cvss2_base_score("AV:L/AC:L/Au:N/C:C/I:C/A:C") == 7.2);
  CHECK(cvss2_base_score("AV:N/AC:L/Au:N/C:C/I:C/A:C") == 10.0);
  CHECK(cvss2_base_score("AV:N/AC:L/Au:N/C:N/I:N/A:N") == 0.0);
  CHECK(cvss2_base_score("(AV:N/AC:L/Au:N/C:P/I:P/A:P)") == 7.5);
  CHECK(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/RL:OF/RC:C") == 7.5);  // temporal metrics ignored
  CHECK_FALSE(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P").has_value());          // A missing
  CHECK_FALSE(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P/A:N").has_value());  // A twice
  CHECK_FALSE(cvss2_base_score("AV:X/AC:L/Au:N/C:P/I:P/A:P").has_value());
  CHECK_FALSE(cvss2_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").has_value());
  CHECK(severity_for_v2_score(10.0) == agent::findings::Severity::high);  // v2 has no critical
  CHECK(severity_for_v2_score(4.3) == agent::findings::Severity::medium);
  CHECK(severity_for_v2_score(2.1) == agent::findings::Severity::low);
}
