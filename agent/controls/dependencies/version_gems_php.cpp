// RubyGems' Gem::Version and Packagist's (PHP version_compare) orderings: both split versions
// into number and word segments, but rank words differently.
#include <algorithm>
#include <cctype>

#include "agent/controls/dependencies/version_schemes.h"

namespace agent::controls::dependencies::detail {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string> split_keep_empty(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    if (p == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

void drop_trailing_zeros(std::vector<std::string>& segs) {
  while (!segs.empty() && segs.back() == "0") segs.pop_back();
}

// PHP's special forms; anything else sorts with "dev" as osv.dev does.
int php_special_rank(std::string_view s) {
  if (s.starts_with("RC")) return 3;
  static constexpr std::pair<std::string_view, int> kForms[] = {
      {"dev", 0}, {"a", 1}, {"b", 2}, {"rc", 3}, {"#", 4}, {"p", 5}};
  for (auto [form, rank] : kForms) {
    if (s.starts_with(form)) return rank;
  }
  return 0;
}

int php_special_compare(std::string_view a, std::string_view b) {
  return sign(php_special_rank(a) - php_special_rank(b));
}

int compare_php_parts(const std::vector<std::string>& a, std::size_t ia,
                      const std::vector<std::string>& b, std::size_t ib) {
  while (ia < a.size() && ib < b.size()) {
    bool na = is_digits(a[ia]), nb = is_digits(b[ib]);
    int c = na && nb ? compare_numeric(a[ia], b[ib])
            : na     ? php_special_compare("#", b[ib])
            : nb     ? php_special_compare(a[ia], "#")
                     : php_special_compare(a[ia], b[ib]);
    if (c != 0) return c;
    ++ia;
    ++ib;
  }
  static const std::vector<std::string> kNumberMark = {"#"};
  if (ia < a.size()) return is_digits(a[ia]) ? 1 : compare_php_parts(a, ia, kNumberMark, 0);
  if (ib < b.size()) return is_digits(b[ib]) ? -1 : compare_php_parts(kNumberMark, 0, b, ib);
  return 0;
}

}  // namespace

Words parse_rubygems(std::string_view text) {
  // A '.' goes between every digit/non-digit transition: "1.0a1" -> "1.0.a.1".
  std::string canon;
  bool check_previous = false, previous_digit = true;
  for (char c : text) {
    if (c == '.') {
      check_previous = false;
      canon.push_back('.');
      continue;
    }
    bool d = digit(c);
    if (check_previous && previous_digit != d) canon.push_back('.');
    canon.push_back(c);
    previous_digit = d;
    check_previous = true;
  }
  std::vector<std::string> numbers, words;
  for (std::string& seg : split_keep_empty(canon, '.')) {
    if (words.empty() && is_digits(seg)) {
      numbers.push_back(strip_zeros(seg));
    } else {
      if (is_digits(seg)) seg = strip_zeros(seg);
      words.push_back(std::move(seg));
    }
  }
  drop_trailing_zeros(numbers);
  drop_trailing_zeros(words);
  Words w;
  w.parts = std::move(numbers);
  w.parts.insert(w.parts.end(), words.begin(), words.end());
  return w;
}

int compare_rubygems(const Words& a, const Words& b) {
  std::size_t n = std::max(a.parts.size(), b.parts.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view x = i < a.parts.size() ? std::string_view(a.parts[i]) : "0";
    std::string_view y = i < b.parts.size() ? std::string_view(b.parts[i]) : "0";
    bool nx = is_digits(x), ny = is_digits(y);
    // Numbers sort after words ("1.0.a" < "1.0"); words compare as strings.
    int c = nx && ny ? compare_numeric(x, y) : nx ? 1 : ny ? -1 : sign(x.compare(y));
    if (c != 0) return c;
  }
  return 0;
}

Words parse_packagist(std::string_view text) {
  if (text.starts_with("v")) text.remove_prefix(1);
  if (text.starts_with("V")) text.remove_prefix(1);
  std::string canon;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '-' || c == '_' || c == '+') c = '.';
    if (i > 0 && !canon.empty()) {
      char prev = canon.back();
      bool prev_other = prev != '.' && !digit(prev);
      bool cur_other = c != '.' && !digit(c);
      if ((prev_other && digit(c)) || (digit(prev) && cur_other)) canon.push_back('.');
    }
    canon.push_back(c);
  }
  Words w;
  w.parts = split_keep_empty(canon, '.');
  return w;
}

int compare_packagist(const Words& a, const Words& b) { return compare_php_parts(a.parts, 0, b.parts, 0); }

}  // namespace agent::controls::dependencies::detail
