#include <cctype>
#include <regex>

#include "agent/controls/external/parsers.h"

namespace agent::controls::external {

std::string cwe_from_tag(std::string_view tag) {
  static const std::regex pattern(R"(^(?:external/cwe/)?cwe[-_: ]?0*(\d{1,6})\b)", std::regex::icase);
  static const std::regex digits(R"(^0*(\d{1,6})$)");
  std::string text(tag);
  std::smatch m;
  if (std::regex_search(text, m, pattern)) return "CWE-" + m[1].str();
  if (std::regex_match(text, m, digits)) return "CWE-" + m[1].str();
  return "";
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}
}  // namespace

std::string path_from_uri(std::string_view uri) {
  std::string_view rest = uri;
  auto colon = uri.find(':');
  auto slash = uri.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash) && colon > 1) {
    std::string scheme(uri.substr(0, colon));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "file") return "";
    rest = uri.substr(colon + 1);
    if (rest.substr(0, 2) == "//") {
      rest.remove_prefix(2);
      auto end = rest.find('/');
      if (end == std::string_view::npos) return "";
      std::string_view host = rest.substr(0, end);
      if (!host.empty() && host != "localhost") return "";
      rest.remove_prefix(end);
    }
  }
  auto q = rest.find_first_of("?#");
  if (q != std::string_view::npos) rest = rest.substr(0, q);
  return percent_decode(rest);
}

std::string terminal_safe(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {
      // Drop a CSI/OSC sequence whole, not just its ESC.
      if (i + 1 < text.size() && text[i + 1] == '[') {
        i += 2;
        while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      } else if (i + 1 < text.size() && text[i + 1] == ']') {
        i += 2;
        while (i < text.size() && text[i] != '\a' && !(text[i] == 0x1b && i + 1 < text.size() && text[i + 1] == '\\')) ++i;
        if (i < text.size() && text[i] == 0x1b) ++i;
      }
      continue;
    }
    if (c == '\n' || c == '\t') {
      out.push_back(keep_newlines ? static_cast<char>(c) : ' ');
      continue;
    }
    if (c < 0x20 || c == 0x7f) continue;
    // C1 controls encoded in UTF-8 (U+0080..U+009F) are C2 80..C2 9F.
    if (c == 0xc2 && i + 1 < text.size()) {
      auto n = static_cast<unsigned char>(text[i + 1]);
      if (n >= 0x80 && n <= 0x9f) {
        ++i;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

ParsedReport parse_report(std::string_view format, std::string_view text) {
  if (format == "sarif") return parse_sarif(text);
  if (format == "gitlab-sast") return parse_gitlab_sast(text);
  if (format == "bandit-json") return parse_bandit_json(text);
  if (format == "shellcheck-json1") return parse_shellcheck_json1(text);
  throw ReportError("unknown report format '" + std::string(format) +
                    "' (expected sarif, gitlab-sast, bandit-json or shellcheck-json1)");
}

}  // namespace agent::controls::external
