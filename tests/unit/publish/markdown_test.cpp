#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/publish/markdown.h"

using namespace agent::publish;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("code spans hold anything verbatim") {
  CHECK(markdown::code("config.py") == "` config.py `");
  CHECK(markdown::code("a`b") == "`` a`b ``");
  CHECK(markdown::code("``x```") == "```` ``x``` ````");
  CHECK(markdown::code("line1\nline2\r\x01") == "` line1 line2   `");
  // Injection attempts stay inside the span (GitLab renders nothing inside code).
  for (std::string evil : {"[click](https://evil.example)", "![img](https://evil.example/x.png)", "<img src=x onerror=alert(1)>",
                           "@all please look", "#1 !2 ~bug", "</code><script>", "` <b>break out</b> `"}) {
    std::string span = markdown::code(evil);
    // The span's fence is longer than any backtick run inside: it cannot be closed early.
    std::size_t fence = span.find(' ');
    CHECK(span.substr(0, fence) == std::string(fence, '`'));
    CHECK(span.find(std::string(fence, '`'), fence) == span.size() - fence);
  }
}

TEST_CASE("code spans are cut at UTF-8 boundaries") {
  std::string s = markdown::code(std::string(10, 'a') + "é", 11);
  CHECK(s == "` aaaaaaaa… `");
  CHECK(markdown::truncate_utf8("héllo", 3) == "…");
  CHECK(markdown::truncate_utf8("short", 10) == "short");
  CHECK(markdown::code("bad\xff\xfe bytes") == "` bad\uFFFD\uFFFD bytes `");
}

TEST_CASE("prose is made inert") {
  std::string t = markdown::text("ping @admin about #12 and !3 ~label, see [x](https://evil.example) <b>&</b>");
  CHECK(t.find("@admin") == std::string::npos);
  CHECK_THAT(t, ContainsSubstring("\\@\u2060admin"));
  CHECK(t.find("#12") == std::string::npos);
  CHECK(t.find("!3") == std::string::npos);
  CHECK(t.find("~label") == std::string::npos);
  CHECK(t.find("://") == std::string::npos);
  CHECK(t.find("[x]") == std::string::npos);
  CHECK(t.find('<') == std::string::npos);
  CHECK_THAT(t, ContainsSubstring("&lt;b&gt;"));
  CHECK(markdown::text("Generic API key") == "Generic API key");
  CHECK(markdown::text("a|b") == "a\\|b");
}

TEST_CASE("safe URLs") {
  CHECK(markdown::is_safe_url("https://gitlab.example.com/g/p/-/jobs/42"));
  CHECK(markdown::is_safe_url("http://127.0.0.1:8080/x?y=1"));
  CHECK_FALSE(markdown::is_safe_url("javascript:alert(1)"));
  CHECK_FALSE(markdown::is_safe_url("https://x/a) [b](c"));
  CHECK_FALSE(markdown::is_safe_url("https://x/a b"));
  CHECK_FALSE(markdown::is_safe_url(""));
}
