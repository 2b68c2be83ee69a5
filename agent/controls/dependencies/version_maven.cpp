// Maven's ComparableVersion: tokens split at '.', '-' and digit/letter transitions, each
// remembering its separator; trailing "null" tokens trimmed; the shorter version padded.
#include <algorithm>
#include <cctype>

#include "agent/controls/dependencies/version_schemes.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr std::string_view kQualifierOrder[] = {"alpha", "beta", "milestone", "rc",
                                                "snapshot", "", "sp"};
constexpr int kUnknownQualifier = 7;

int qualifier_rank(std::string_view q) {
  for (int i = 0; i < kUnknownQualifier; ++i) {
    if (kQualifierOrder[i] == q) return i;
  }
  return kUnknownQualifier;
}

bool trims(const MavenToken& t) { return t.value == "0" || t.value.empty(); }

// ".qualifier" < "-qualifier" < "-number" < ".number"
int separator_rank(const MavenToken& t) {
  bool number = is_digits(t.value);
  if (t.prefix == '-') return number ? 2 : 1;
  return number ? 3 : 0;
}

bool token_less(const MavenToken& a, const MavenToken& b) {
  if (a.prefix != b.prefix) return separator_rank(a) < separator_rank(b);
  bool na = is_digits(a.value), nb = is_digits(b.value);
  if (na && nb) return compare_numeric(a.value, b.value) < 0;
  // Numbers sort after qualifiers, unless the number is the padding of a shorter version.
  if (na && !a.is_null) return false;
  if (nb && !b.is_null) return true;
  int ra = qualifier_rank(a.value), rb = qualifier_rank(b.value);
  if (ra == kUnknownQualifier && rb == kUnknownQualifier) return a.value < b.value;
  return ra < rb;
}

MavenToken padding_for(const MavenToken& other) {
  if (other.prefix == '-') return {'-', "", true};
  // "sp" is the one qualifier that sorts after the empty release qualifier.
  return {'.', other.value == "sp" ? "" : "0", true};
}

}  // namespace

std::vector<MavenToken> parse_maven(std::string_view text) {
  std::vector<MavenToken> tokens;
  char prefix = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t end = text.find_first_of(".-", i);
    std::string_view raw = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    // Digit/letter transitions inside a raw token act as '-'.
    std::size_t start = 0;
    for (std::size_t k = 0; k <= raw.size(); ++k) {
      bool boundary = k == raw.size() ||
                      (k > 0 && (std::isdigit(static_cast<unsigned char>(raw[k])) != 0) !=
                                    (std::isdigit(static_cast<unsigned char>(raw[k - 1])) != 0));
      if (!boundary) continue;
      std::string value(raw.substr(start, k - start));
      for (char& ch : value) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (value.empty()) value = "0";
      if (value == "cr") value = "rc";
      if (value == "ga" || value == "final" || value == "release") value.clear();
      if (k != raw.size()) {  // "a1", "b2", "m3": followed directly by a number
        if (value == "a") value = "alpha";
        if (value == "b") value = "beta";
        if (value == "m") value = "milestone";
      }
      if (is_digits(value)) value = strip_zeros(value);
      tokens.push_back({start == 0 ? prefix : '-', std::move(value), false});
      start = k;
      if (k == raw.size()) break;
    }
    if (end == std::string_view::npos) break;
    prefix = text[end];
    i = end + 1;
  }
  // Trim trailing null tokens, then again before each remaining '-', from the end.
  long idx = static_cast<long>(tokens.size()) - 1;
  while (idx > 0) {
    if (trims(tokens[static_cast<std::size_t>(idx)])) {
      tokens.erase(tokens.begin() + idx);
      --idx;
      continue;
    }
    while (idx >= 0 && tokens[static_cast<std::size_t>(idx)].prefix != '-') --idx;
    --idx;
  }
  return tokens;
}

int compare_maven(const std::vector<MavenToken>& a, const std::vector<MavenToken>& b) {
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    MavenToken left = i < a.size() ? a[i] : padding_for(b[i]);
    MavenToken right = i < b.size() ? b[i] : padding_for(a[i]);
    if (left.prefix == right.prefix && left.value == right.value) continue;
    return token_less(left, right) ? -1 : 1;
  }
  return 0;
}

}  // namespace agent::controls::dependencies::detail
