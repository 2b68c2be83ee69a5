#include <catch2/catch_test_macros.hpp>

#include <random>
#include <string>

#include "agent/report/report.h"

using agent::report::sanitize_terminal;

TEST_CASE("sanitize_terminal removes CSI sequences such as clear-screen and colours") {
  CHECK(sanitize_terminal("a\x1b[2Jb") == "ab");
  CHECK(sanitize_terminal("\x1b[31mred\x1b[0m") == "red");
  CHECK(sanitize_terminal("\x1b[?1049hx") == "x");
  CHECK(sanitize_terminal("\x1b[1;31;42mx\x1b[m") == "x");
}

TEST_CASE("sanitize_terminal removes OSC 8 hyperlinks and window titles") {
  CHECK(sanitize_terminal("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\") == "click");
  CHECK(sanitize_terminal("\x1b]0;pwned\x07rest") == "rest");
  CHECK(sanitize_terminal("\x1bPqdata\x1b\\after") == "after");
  CHECK(sanitize_terminal("\x1b]0;t\x1b[31mX") == "X");  // ESC inside a string starts a new sequence
  // An unterminated string would swallow what follows on a terminal: it is dropped whole.
  CHECK(sanitize_terminal("ok\x1b]8;;https://evil.example") == "ok");
}

TEST_CASE("sanitize_terminal removes BEL, CR, LF, DEL and other C0 bytes; a tab becomes a space") {
  CHECK(sanitize_terminal("a\x07" "b") == "ab");
  CHECK(sanitize_terminal("line1\r\nline2") == "line1line2");
  CHECK(sanitize_terminal(std::string_view("a\0b", 3)) == "ab");
  CHECK(sanitize_terminal("a\x7f" "b\x08" "c") == "abc");
  CHECK(sanitize_terminal("key\tvalue") == "key value");
}

TEST_CASE("sanitize_terminal removes two-byte escapes and a trailing ESC") {
  CHECK(sanitize_terminal("\x1b" "cafter") == "after");   // RIS: full terminal reset
  CHECK(sanitize_terminal("\x1b(Bx") == "x");             // charset designation
  CHECK(sanitize_terminal("x\x1b") == "x");
}

TEST_CASE("sanitize_terminal removes C1 controls, encoded or as raw bytes") {
  // U+009B is an 8-bit CSI: the sequence it starts goes with it.
  CHECK(sanitize_terminal("a\xC2\x9B" "31mb") == "ab");
  CHECK(sanitize_terminal("a\xC2\x9D" "0;title\x07" "b") == "ab");
  CHECK(sanitize_terminal("a\xC2\x85" "b") == "ab");
  // A raw 0x9B byte is not UTF-8: it becomes U+FFFD, harmless to any terminal.
  CHECK(sanitize_terminal("a\x9b" "31mb") == "a\xEF\xBF\xBD" "31mb");
  CHECK(sanitize_terminal("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST_CASE("sanitize_terminal keeps valid UTF-8 text and removes bidi overrides") {
  std::string text = "\xD0\xBF\xD0\xB0\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C \xE7\xA7\x98\xE5\xAF\x86 "
                     "\xF0\x9F\x98\x80 caf\xC3\xA9 \xC2\xA0nbsp";
  CHECK(sanitize_terminal(text) == text);
  CHECK(sanitize_terminal("plain ascii: path/to/file.py") == "plain ascii: path/to/file.py");
  CHECK(sanitize_terminal("admin\xE2\x80\xAE" "txt.exe") == "admintxt.exe");  // U+202E RLO
  CHECK(sanitize_terminal("") == "");
}

namespace {
/// True when `s` is valid UTF-8 without any C0, DEL or C1 code point.
bool is_safe_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x80) { ++i; continue; }
    std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    if (c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;  // U+0080..U+009F
    i += len;
  }
  return true;
}
}  // namespace

TEST_CASE("sanitize_terminal output is safe for any input bytes") {
  std::mt19937 rng(2024);
  // Bytes biased towards the dangerous ones so sequences actually form.
  static constexpr char kBytes[] = "\x1b[]\\P;8\x07\x9b\x9d\xc2\x85\x9c\n\r\t\x7f" "abc\xe2\x80\xae\xf0\x9f\x98\x80";
  const std::string alphabet(kBytes, sizeof kBytes);  // the terminating NUL is one of the bytes
  for (int n = 0; n < 5000; ++n) {
    std::string input;
    std::size_t len = rng() % 24;
    for (std::size_t k = 0; k < len; ++k)
      input += rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    std::string out = sanitize_terminal(input);
    INFO("input bytes: " << input.size());
    REQUIRE(is_safe_utf8(out));
    REQUIRE(sanitize_terminal(out) == out);  // idempotent: already-safe text is left alone
  }
}
