// sanitize_terminal: text from scanned files (paths, matches, warnings) must never drive the
// terminal. A file named "\e]8;;http://evil\e\\x\e]8;;\e\\" or a match holding "\e[2J" would
// otherwise create links, clear the screen or retitle the window of whoever reads the report.
#include <cstdint>

#include "agent/report/report.h"

namespace agent::report {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD for bytes that are not UTF-8

/// Decodes one UTF-8 sequence at `i`; returns its length (0: invalid) and the code point.
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms and surrogates are how filters get bypassed: treat them as invalid.
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/// Kind of control sequence introduced by ESC+c or by the 8-bit C1 code point c.
enum class Intro { csi, string, other };

Intro intro_of(std::uint32_t c) {
  if (c == '[' || c == 0x9B) return Intro::csi;
  // OSC, DCS, SOS, PM, APC carry a string up to ST (ESC \ or 0x9C) or, for OSC, BEL.
  if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_' || c == 0x9D || c == 0x90 ||
      c == 0x98 || c == 0x9E || c == 0x9F)
    return Intro::string;
  return Intro::other;
}

/// Index just past a CSI body starting at `i` (parameters, intermediates, one final byte).
std::size_t skip_csi(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i++]);
    if (c >= 0x40 && c <= 0x7E) return i;   // final byte
    // Malformed: ESC or a non-ASCII byte is handled by the caller; a C0 byte or DEL is dropped.
    if (c == 0x1B || c >= 0x80) return i - 1;
    if (c < 0x20 || c == 0x7F) return i;
  }
  return i;
}

/// Index just past a control string starting at `i`: up to BEL, ESC \ or U+009C; else the end.
std::size_t skip_string(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x07) return i + 1;
    // ESC \ is ST; any other ESC aborts the string and starts a sequence the caller removes.
    if (c == 0x1B) return i + 1 < s.size() && s[i + 1] == '\\' ? i + 2 : i;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x9C) return i + 2;
    ++i;
  }
  // Unterminated: a terminal would swallow everything that follows, so the rest goes too.
  return i;
}

/// Unicode format characters that reorder or break displayed lines ("Trojan Source").
bool is_display_control(std::uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
         cp == 0x2029;
}

}  // namespace

std::string sanitize_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1B) {
      if (i + 1 >= text.size()) break;
      auto next = static_cast<unsigned char>(text[i + 1]);
      switch (intro_of(next)) {
        case Intro::csi: i = skip_csi(text, i + 2); break;
        case Intro::string: i = skip_string(text, i + 2); break;
        case Intro::other: {
          // nF/Fp/Fe/Fs escapes: intermediates 0x20-0x2F, then one final byte.
          std::size_t k = i + 1;
          while (k < text.size() && text[k] >= 0x20 && text[k] <= 0x2F) ++k;
          if (k < text.size() && text[k] >= 0x30 && text[k] <= 0x7E) ++k;
          i = k;
          break;
        }
      }
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      if (c == '\t') out += ' ';  // keeps words apart without moving the cursor
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    std::size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      // A lone 0x80-0x9F byte is an 8-bit C1 control for some terminals; any invalid byte
      // becomes U+FFFD so what is shown is still valid UTF-8.
      out += kReplacement;
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp <= 0x9F) {
      Intro kind = intro_of(cp);
      if (kind == Intro::csi) i = skip_csi(text, i + len);
      else if (kind == Intro::string) i = skip_string(text, i + len);
      else i += len;
      continue;
    }
    if (!is_display_control(cp)) out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace agent::report
