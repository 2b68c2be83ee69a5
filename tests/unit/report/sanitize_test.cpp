#include <catch2/catch_test_macros.hpp>

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
