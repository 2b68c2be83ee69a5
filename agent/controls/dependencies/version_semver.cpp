// SemVer 2.0 ordering, tolerant of a "v" prefix (Go), of fewer or more than three numeric parts
// and of NuGet's fourth part. Numbers of any length compare exactly (no integer overflow).
#include <algorithm>
#include <cctype>

#include "agent/controls/dependencies/version_schemes.h"

namespace agent::controls::dependencies::detail {
namespace {

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

}  // namespace

SemverLike parse_semver_like(std::string_view text, std::size_t max_numbers) {
  SemverLike v;
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  std::size_t i = 0;
  std::size_t start = 0;
  bool in_number = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      if (!in_number) start = i;
      in_number = true;
      continue;
    }
    if (in_number) v.numbers.push_back(strip_zeros(text.substr(start, i - start)));
    in_number = false;
    if (c == '.') continue;
    break;  // the first other character starts the pre-release/build part
  }
  if (in_number) v.numbers.push_back(strip_zeros(text.substr(start, i - start)));
  if (i < text.size()) v.rest = std::string(text.substr(i));
  // Parts beyond the scheme's numeric ones belong to the build string, as osv.dev treats them.
  while (v.numbers.size() > max_numbers) {
    v.rest += "." + v.numbers[max_numbers];
    v.numbers.erase(v.numbers.begin() + static_cast<std::ptrdiff_t>(max_numbers));
  }
  return v;
}

int compare_semver(const SemverLike& a, const SemverLike& b, bool fold_case) {
  std::size_t n = std::max(a.numbers.size(), b.numbers.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view x = i < a.numbers.size() ? std::string_view(a.numbers[i]) : "0";
    std::string_view y = i < b.numbers.size() ? std::string_view(b.numbers[i]) : "0";
    if (int c = compare_numeric(x, y)) return c;
  }
  // Build metadata ("+...") never counts; the pre-release's leading '-' is not part of it.
  auto prerelease = [fold_case](const std::string& rest) {
    std::string p = rest.substr(0, rest.find('+'));
    if (!p.empty() && p.front() == '-') p.erase(0, 1);
    if (fold_case) {
      for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return p;
  };
  std::string pa = prerelease(a.rest), pb = prerelease(b.rest);
  if (pa.empty() || pb.empty()) {
    // A version without a pre-release has the higher precedence.
    return pa.empty() && pb.empty() ? 0 : pa.empty() ? 1 : -1;
  }
  auto ia = split_dots(pa), ib = split_dots(pb);
  std::size_t m = std::min(ia.size(), ib.size());
  for (std::size_t i = 0; i < m; ++i) {
    bool na = is_digits(ia[i]), nb = is_digits(ib[i]);
    int c = na && nb ? compare_numeric(ia[i], ib[i])
            : na     ? -1  // numeric identifiers sort before alphanumeric ones
            : nb     ? 1
                     : sign(ia[i].compare(ib[i]));
    if (c != 0) return c;
  }
  return ia.size() == ib.size() ? 0 : ia.size() < ib.size() ? -1 : 1;
}

bool is_valid_semver(std::string_view text) {
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  std::size_t i = 0;
  int numbers = 0;
  while (true) {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
    ++numbers;
    if (i < text.size() && text[i] == '.' && numbers < 4) {
      ++i;
      continue;
    }
    break;
  }
  auto ident_run = [&](char lead) {
    if (i >= text.size() || text[i] != lead) return true;
    ++i;
    std::size_t start = i;
    while (i < text.size() && is_ident_char(text[i])) ++i;
    return i > start && text[i - 1] != '.';
  };
  if (!ident_run('-')) return false;
  if (!ident_run('+')) return false;
  return i == text.size();
}

}  // namespace agent::controls::dependencies::detail
