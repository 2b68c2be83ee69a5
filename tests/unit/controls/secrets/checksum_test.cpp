#include <catch2/catch_test_macros.hpp>

#include "agent/controls/secrets/checksum.h"

using namespace agent::controls::secrets;

TEST_CASE("checksum: CRC-32 and base62") {
  CHECK(crc32("") == 0);
  CHECK(crc32("123456789") == 0xCBF43926u);  // the standard check value
  CHECK(base62(0, 6) == "000000");
  CHECK(base62(61, 1) == "z");
  CHECK(base62(62, 6) == "000010");
  CHECK(base62(0xFFFFFFFFu, 6) == "4gfFC3");
}

TEST_CASE("checksum: crc32-base62 tokens (GitHub, npm)") {
  const std::string random = "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ";  // the shape of GitHub's published example
  const std::string check = base62(crc32(random), 6);
  for (const char* prefix : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"}) {
    CHECK(checksum_valid("crc32-base62", prefix + random + check));
    std::string bad = prefix + random + check;
    bad.back() = bad.back() == 'a' ? 'b' : 'a';
    CHECK_FALSE(checksum_valid("crc32-base62", bad));
  }
  // The published illustration of the format (coolaj86's base62-token notes): random part + "0mLq17".
  CHECK(base62(crc32("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ"), 6) == "0mLq17");
  CHECK_FALSE(checksum_valid("crc32-base62", "ghp_abc"));
  CHECK_FALSE(checksum_valid("unknown", "ghp_" + random + check));
  CHECK(known_checksum("crc32-base62"));
  CHECK_FALSE(known_checksum("luhn"));
}
