#include <catch2/catch_test_macros.hpp>

#include <chrono>

#include "agent/report/common.h"
#include "agent/report/time_format.h"

using namespace agent::report;

TEST_CASE("uri_encode_path percent-encodes spaces, non-ASCII and reserved characters") {
  CHECK(uri_encode_path("src/app.py") == "src/app.py");
  CHECK(uri_encode_path("config/app settings.yml") == "config/app%20settings.yml");
  CHECK(uri_encode_path("donn\xC3\xA9" "es/a#b?c%d:e") == "donn%C3%A9es/a%23b%3Fc%25d%3Ae");
}

TEST_CASE("markdown_code makes a code span that the content cannot close") {
  CHECK(markdown_code("abc") == "`abc`");
  CHECK(markdown_code("a`b") == "``a`b``");
  CHECK(markdown_code("`x") == "`` `x ``");
  CHECK(markdown_code("[x](https://evil)\x1b[2J") == "`[x](https://evil)`");
}

TEST_CASE("truncate_utf8 never cuts inside a UTF-8 sequence") {
  CHECK(truncate_utf8("short", 10) == "short");
  std::string cut = truncate_utf8("\xE7\xA7\x98\xE5\xAF\x86\xE7\xA7\x98", 7);  // 3 CJK chars, 9 bytes
  CHECK(cut == "\xE7\xA7\x98\xE2\x80\xA6");
  CHECK(cut.size() <= 7);
}

TEST_CASE("cwe_number accepts only CWE-<digits>") {
  CHECK(cwe_number("CWE-798") == "798");
  CHECK(cwe_number("cwe-200") == "200");
  CHECK(cwe_number("CWE-") == "");
  CHECK(cwe_number("CVE-2020-1") == "");
}

TEST_CASE("timestamps are UTC in RFC 3339 and GitLab's zone-less form") {
  using namespace std::chrono;
  system_clock::time_point t = sys_days{year{2024} / 2 / 29} + hours{23} + minutes{59} + seconds{58} +
                               milliseconds{999};
  CHECK(rfc3339_utc(t) == "2024-02-29T23:59:58Z");
  CHECK(gitlab_timestamp(t) == "2024-02-29T23:59:58");
  CHECK(rfc3339_utc(system_clock::time_point{}) == "1970-01-01T00:00:00Z");
  CHECK(duration_ms(t, t + milliseconds{1500}) == 1500);
  CHECK(duration_ms(t + seconds{1}, t) == 0);
}
