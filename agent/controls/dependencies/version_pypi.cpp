// PEP 440 ordering (epoch, release, pre, post, dev, local). Strings outside PEP 440 ("legacy"
// versions) sort before every PEP 440 version, as current pip does, and among themselves by
// setuptools' old key.
#include <algorithm>
#include <cctype>

#include "agent/controls/dependencies/version_schemes.h"

namespace agent::controls::dependencies::detail {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  std::size_t pos() const { return i_; }
  void reset(std::size_t p) { i_ = p; }
  bool eat(char c) {
    if (!done() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool eat_sep() {
    if (!done() && (s_[i_] == '-' || s_[i_] == '_' || s_[i_] == '.')) return ++i_, true;
    return false;
  }
  bool eat_word(std::string_view w) {
    if (s_.substr(i_).starts_with(w)) return i_ += w.size(), true;
    return false;
  }
  std::string_view digits() {
    std::size_t start = i_;
    while (!done() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return s_.substr(start, i_ - start);
  }
  std::string_view alnum() {
    std::size_t start = i_;
    while (!done() && std::isalnum(static_cast<unsigned char>(s_[i_]))) ++i_;
    return s_.substr(start, i_ - start);
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// "[-_.]?N" after a pre/post/dev keyword; an unmatched separator is left for what follows.
std::string optional_number(Cursor& c) {
  std::size_t save = c.pos();
  c.eat_sep();
  std::string_view n = c.digits();
  if (n.empty()) {
    c.reset(save);
    return "0";
  }
  return strip_zeros(n);
}

bool parse_strict(std::string_view s, Pep440& v) {
  Cursor c(s);
  c.eat('v');
  std::size_t save = c.pos();
  std::string_view first = c.digits();
  if (first.empty()) return false;
  if (c.eat('!')) {
    v.epoch = strip_zeros(first);
  } else {
    c.reset(save);
  }
  std::string_view part = c.digits();
  if (part.empty()) return false;
  v.release.push_back(strip_zeros(part));
  while (true) {
    save = c.pos();
    if (!c.eat('.')) break;
    part = c.digits();
    if (part.empty()) {
      c.reset(save);
      break;
    }
    v.release.push_back(strip_zeros(part));
  }
  // Pre-release: longest spelling first, so "alpha" is not read as "a" + "lpha".
  save = c.pos();
  c.eat_sep();
  static constexpr std::pair<std::string_view, char> kPre[] = {
      {"preview", 'c'}, {"pre", 'c'}, {"alpha", 'a'}, {"beta", 'b'},
      {"rc", 'c'},      {"a", 'a'},   {"b", 'b'},     {"c", 'c'}};
  bool found = false;
  for (auto [word, letter] : kPre) {
    if (c.eat_word(word)) {
      v.pre_letter = letter;
      v.pre_number = optional_number(c);
      found = true;
      break;
    }
  }
  if (!found) c.reset(save);
  // Post-release: "-N" or "[-_.]?(post|rev|r)[-_.]?N?".
  save = c.pos();
  if (c.eat('-') && !c.digits().empty()) {
    c.reset(save + 1);
    v.has_post = true;
    v.post_number = strip_zeros(c.digits());
  } else {
    c.reset(save);
    c.eat_sep();
    if (c.eat_word("post") || c.eat_word("rev") || c.eat_word("r")) {
      v.has_post = true;
      v.post_number = optional_number(c);
    } else {
      c.reset(save);
    }
  }
  save = c.pos();
  c.eat_sep();
  if (c.eat_word("dev")) {
    v.has_dev = true;
    v.dev_number = optional_number(c);
  } else {
    c.reset(save);
  }
  if (c.eat('+')) {
    std::string_view seg = c.alnum();
    if (seg.empty()) return false;
    v.local.emplace_back(seg);
    while (true) {
      save = c.pos();
      if (!c.eat_sep()) break;
      seg = c.alnum();
      if (seg.empty()) {
        c.reset(save);
        break;
      }
      v.local.emplace_back(seg);
    }
  }
  return c.done();
}

// setuptools' legacy key: numbers zero-padded, words prefixed with '*', trailing zeros dropped.
std::string legacy_key(std::string_view s) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    char ch = s[i];
    std::size_t j = i + 1;
    if (ch >= '0' && ch <= '9') {
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    } else if (ch >= 'a' && ch <= 'z') {
      while (j < s.size() && s[j] >= 'a' && s[j] <= 'z') ++j;
    } else if (ch != '-') {
      i = j;  // '.' and anything else only separate
      continue;
    }
    tokens.emplace_back(s.substr(i, j - i));
    i = j;
  }
  tokens.emplace_back("final");
  std::vector<std::string> parts;
  for (std::string& t : tokens) {
    if (t == "pre" || t == "preview" || t == "rc") t = "c";
    else if (t == "-") t = "final-";
    else if (t == "dev") t = "@";
    if (t[0] >= '0' && t[0] <= '9') {
      if (t.size() < 8) t.insert(0, 8 - t.size(), '0');
    } else {
      t.insert(0, "*");
    }
    if (t[0] == '*') {
      if (t < "*final") {
        while (!parts.empty() && parts.back() == "*final-") parts.pop_back();
      }
      while (!parts.empty() && parts.back() == "00000000") parts.pop_back();
    }
    parts.push_back(t);
  }
  std::string key;
  for (const auto& p : parts) key += p;
  return key;
}

int compare_local(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t m = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < m; ++i) {
    bool na = is_digits(a[i]), nb = is_digits(b[i]);
    // Numeric segments sort after alphanumeric ones.
    int c = na && nb ? compare_numeric(a[i], b[i]) : na ? 1 : nb ? -1 : sign(a[i].compare(b[i]));
    if (c != 0) return c;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

// "1.0.dev0" (dev release with no pre/post) sorts before "1.0a0".
bool dev_only(const Pep440& v) { return v.pre_letter == 0 && !v.has_post && v.has_dev; }

}  // namespace

Pep440 parse_pep440(std::string_view text) {
  std::string s(text);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto not_space = [](unsigned char ch) { return !std::isspace(ch); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  Pep440 v;
  if (!parse_strict(s, v)) {
    v = Pep440{};
    v.legacy = true;
    v.legacy_key = legacy_key(s);
  }
  return v;
}

int compare_pep440(const Pep440& a, const Pep440& b) {
  if (a.legacy || b.legacy) {
    if (a.legacy && b.legacy) return sign(a.legacy_key.compare(b.legacy_key));
    return a.legacy ? -1 : 1;
  }
  if (int c = compare_numeric(a.epoch, b.epoch)) return c;
  std::size_t n = std::max(a.release.size(), b.release.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view x = i < a.release.size() ? std::string_view(a.release[i]) : "0";
    std::string_view y = i < b.release.size() ? std::string_view(b.release[i]) : "0";
    if (int c = compare_numeric(x, y)) return c;
  }
  bool da = dev_only(a), db = dev_only(b);
  if (da || db) {
    if (!(da && db)) return da ? -1 : 1;
  } else if (a.pre_letter == 0 || b.pre_letter == 0) {
    if (a.pre_letter != b.pre_letter) return a.pre_letter == 0 ? 1 : -1;
  } else {
    if (a.pre_letter != b.pre_letter) return a.pre_letter < b.pre_letter ? -1 : 1;
    if (int c = compare_numeric(a.pre_number, b.pre_number)) return c;
  }
  if (a.has_post != b.has_post) return a.has_post ? 1 : -1;
  if (a.has_post) {
    if (int c = compare_numeric(a.post_number, b.post_number)) return c;
  }
  if (a.has_dev != b.has_dev) return a.has_dev ? -1 : 1;
  if (a.has_dev) {
    if (int c = compare_numeric(a.dev_number, b.dev_number)) return c;
  }
  return compare_local(a.local, b.local);
}

}  // namespace agent::controls::dependencies::detail
