#include "agent/util/glob.h"

#include <string>

namespace agent::util {
namespace {

std::string_view strip_leading(std::string_view s) {
  while (true) {
    if (s.starts_with("./")) {
      s.remove_prefix(2);
    } else if (s.starts_with("/")) {
      s.remove_prefix(1);
    } else {
      return s;
    }
  }
}

/// Matches a bracket expression at pattern[p] ('[' included) against `c`. Returns the index just
/// past ']' and sets `matched`, or npos when the bracket is not closed (then '[' is literal).
std::size_t match_class(std::string_view pat, std::size_t p, char c, bool& matched) {
  std::size_t i = p + 1;
  bool negate = false;
  if (i < pat.size() && (pat[i] == '!' || pat[i] == '^')) {
    negate = true;
    ++i;
  }
  bool any = false;
  bool first = true;
  while (i < pat.size() && (first || pat[i] != ']')) {
    first = false;
    char lo = pat[i];
    if (lo == '\\' && i + 1 < pat.size()) lo = pat[++i];
    char hi = lo;
    if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
      hi = pat[i + 2];
      if (hi == '\\' && i + 3 < pat.size()) {
        hi = pat[i + 3];
        ++i;
      }
      i += 2;
    }
    if (c >= lo && c <= hi) any = true;
    ++i;
  }
  if (i >= pat.size()) return std::string_view::npos;
  matched = (any != negate) && c != '/';
  return i + 1;
}

bool is_globstar(std::string_view pat, std::size_t p) {
  return pat.substr(p, 2) == "**" && (p == 0 || pat[p - 1] == '/') &&
         (p + 2 == pat.size() || pat[p + 2] == '/');
}

bool match_from(std::string_view pat, std::size_t p, std::string_view text, std::size_t t) {
  while (p < pat.size()) {
    if (is_globstar(pat, p)) {
      if (p + 2 == pat.size()) return true;  // trailing "**": everything, folders included
      std::size_t rest = p + 3;              // "**/": zero or more whole folders
      if (match_from(pat, rest, text, t)) return true;
      for (std::size_t i = t; i < text.size(); ++i) {
        if (text[i] == '/' && match_from(pat, rest, text, i + 1)) return true;
      }
      return false;
    }
    char c = pat[p];
    if (c == '*') {
      while (p < pat.size() && pat[p] == '*') ++p;  // "a**b" is an ordinary '*'
      for (std::size_t k = t; k <= text.size(); ++k) {
        if (match_from(pat, p, text, k)) return true;
        if (k < text.size() && text[k] == '/') break;
      }
      return false;
    }
    if (t >= text.size()) return false;
    if (c == '?') {
      if (text[t] == '/') return false;
      ++p;
      ++t;
      continue;
    }
    if (c == '[') {
      bool matched = false;
      std::size_t next = match_class(pat, p, text[t], matched);
      if (next != std::string_view::npos) {
        if (!matched) return false;
        p = next;
        ++t;
        continue;
      }
    }
    if (c == '\\' && p + 1 < pat.size()) c = pat[++p];
    if (c != text[t]) return false;
    ++p;
    ++t;
  }
  return t == text.size();
}

}  // namespace

bool glob_match_exact(std::string_view pattern, std::string_view text) {
  return match_from(pattern, 0, text, 0);
}

bool glob_match(std::string_view pattern, std::string_view path, bool is_dir) {
  bool anchored = pattern.starts_with("/");
  pattern = strip_leading(pattern);
  bool dir_only = pattern.ends_with("/");
  while (pattern.ends_with("/")) pattern.remove_suffix(1);
  if (pattern.empty()) return false;
  bool has_slash = anchored || pattern.find('/') != std::string_view::npos;
  path = strip_leading(path);
  while (path.ends_with("/")) {
    path.remove_suffix(1);
    is_dir = true;
  }
  if (path.empty()) return false;

  auto matches = [&](std::string_view candidate) {
    if (has_slash) return glob_match_exact(pattern, candidate);
    auto slash = candidate.rfind('/');
    std::string_view base = slash == std::string_view::npos ? candidate : candidate.substr(slash + 1);
    return glob_match_exact(pattern, base);
  };
  if ((!dir_only || is_dir) && matches(path)) return true;
  // Every parent folder: excluding a folder excludes its content.
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && matches(path.substr(0, i))) return true;
  }
  return false;
}

}  // namespace agent::util
