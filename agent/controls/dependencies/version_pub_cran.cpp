// Pub's and CRAN's orderings. Pub is SemVer except that build metadata counts: pub_semver ranks a
// version without "+build" below the same version with one, and compares build identifiers like
// pre-release ones. CRAN (and Bioconductor) versions are integers separated by '.' or '-',
// compared one by one, a missing component lower than any ("1.8" < "1.8.0"), as R's
// package_version does.
#include <algorithm>

#include "agent/controls/dependencies/version_schemes.h"

namespace agent::controls::dependencies::detail {
namespace {

std::string_view build_of(const std::string& rest) {
  std::size_t plus = rest.find('+');
  return plus == std::string::npos ? std::string_view() : std::string_view(rest).substr(plus + 1);
}

// Dot-separated identifiers: numbers numerically and below words, words byte-wise, fewer first.
int compare_identifiers(std::string_view a, std::string_view b) {
  while (true) {
    std::size_t da = a.find('.'), db = b.find('.');
    std::string_view x = a.substr(0, da), y = b.substr(0, db);
    bool na = is_digits(x), nb = is_digits(y);
    int c = na && nb ? compare_numeric(x, y) : na ? -1 : nb ? 1 : sign(x.compare(y));
    if (c != 0) return c;
    bool more_a = da != std::string_view::npos, more_b = db != std::string_view::npos;
    if (!more_a || !more_b) return more_a == more_b ? 0 : more_a ? 1 : -1;
    a.remove_prefix(da + 1);
    b.remove_prefix(db + 1);
  }
}

}  // namespace

int compare_pub(const SemverLike& a, const SemverLike& b) {
  if (int c = compare_semver(a, b, false)) return c;
  std::string_view ba = build_of(a.rest), bb = build_of(b.rest);
  if (ba.empty() || bb.empty()) return ba.empty() == bb.empty() ? 0 : ba.empty() ? -1 : 1;
  return compare_identifiers(ba, bb);
}

Words parse_cran(std::string_view text) {
  Words w;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.' || text[i] == '-') {
      w.parts.push_back(strip_zeros(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  return w;
}

int compare_cran(const Words& a, const Words& b) {
  std::size_t n = std::min(a.parts.size(), b.parts.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& x = a.parts[i];
    const std::string& y = b.parts[i];
    // Components are numbers; anything else (not a CRAN version) sorts after them, byte-wise.
    bool nx = is_digits(x), ny = is_digits(y);
    int c = nx && ny ? compare_numeric(x, y) : nx ? -1 : ny ? 1 : sign(x.compare(y));
    if (c != 0) return c;
  }
  return a.parts.size() == b.parts.size() ? 0 : a.parts.size() < b.parts.size() ? -1 : 1;
}

bool is_valid_cran(std::string_view text) {
  // At least two components ("1.0", "0.1-2"), as R requires, each a non-empty number.
  int components = 1;
  bool digit_seen = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit_seen = true;
    } else if ((c == '.' || c == '-') && digit_seen) {
      ++components;
      digit_seen = false;
    } else {
      return false;
    }
  }
  return digit_seen && components >= 2;
}

}  // namespace agent::controls::dependencies::detail
