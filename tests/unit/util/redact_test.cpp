#include <catch2/catch_test_macros.hpp>

#include "agent/util/hash.h"
#include "agent/util/redact.h"

using namespace agent::util;

TEST_CASE("URL credentials are removed, the rest of the text kept") {
  CHECK(redact_urls("fetch https://oauth2:glpat-abcdef@gitlab.example.com/g/p.git failed") ==
        "fetch https://***@gitlab.example.com/g/p.git failed");
  CHECK(redact_urls("no url here") == "no url here");
  CHECK(redact_urls("https://gitlab.example.com/g/p.git") == "https://gitlab.example.com/g/p.git");
  CHECK(redact_urls("a postgres://u:p@db:5432/x and http://h/p?q=a@b") ==
        "a postgres://***@db:5432/x and http://h/p?q=a@b");
}

TEST_CASE("Registered values are replaced wherever they appear") {
  Redactor r;
  r.add("abc");  // too short to register
  r.add("glpat-0123456789abcdef");
  CHECK(r.apply("token glpat-0123456789abcdef! and abc") == "token [REDACTED]! and abc");
}

TEST_CASE("mask_secret keeps only a short prefix") {
  CHECK(mask_secret("AKIAIOSFODNN7EXAMPLE") == "AKIA…");
  CHECK(mask_secret("abc") == "ab…");
}

TEST_CASE("sha256 and derived UUIDs are stable") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto u = uuid_from("x");
  CHECK(u.size() == 36);
  CHECK(u[14] == '5');
  CHECK(u == uuid_from("x"));
  CHECK(u != uuid_from("y"));
}
