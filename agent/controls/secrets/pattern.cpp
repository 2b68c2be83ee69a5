#include "agent/controls/secrets/pattern.h"

#include <hs/hs.h>

#include <cctype>
#include <cstdlib>
#include <vector>
#include <memory>

namespace agent::controls::secrets {
namespace {

struct CompileErrorFree {
  void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};
struct ExprInfoFree {
  void operator()(hs_expr_info_t* i) const { std::free(i); }  // allocated by hs's misc allocator (malloc)
};

// Copies `p` from index `i` (just past '[') to the end of the character class; returns the index
// past the closing ']'. Parentheses inside a class are literals and must not be rewritten.
std::size_t skip_class(std::string_view p, std::size_t i, std::string& out) {
  if (i < p.size() && p[i] == '^') out += p[i++];
  if (i < p.size() && p[i] == ']') out += p[i++];  // a leading ']' is a literal
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      out += p.substr(i, 2);
      i += 2;
    } else if (c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      std::size_t end = p.find(":]", i + 2);
      if (end == std::string_view::npos) end = p.size() - 2;
      out += p.substr(i, end + 2 - i);
      i = end + 2;
    } else {
      out += c;
      ++i;
      if (c == ']') break;
    }
  }
  return i;
}

// "(?P<name>" or "(?<name>" (not the look-behind "(?<=" / "(?<!").
bool is_named_group(std::string_view p) {
  if (p.substr(0, 4) == "(?P<") return true;
  return p.substr(0, 3) == "(?<" && p.size() > 3 && p[3] != '=' && p[3] != '!';
}

// A token of a Vectorscan expression, as far as hs_trimmed needs to tell them apart.
struct Token {
  enum Kind { atom, zero_width, open_plain, close, alt, range, other } kind = other;
  std::size_t begin = 0, end = 0;
  unsigned long min = 0, max = 0;  // range: {min,max}
  bool negated_class = false;
  char text = 0;                   // single-character tokens: the character
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Splits `p` into tokens; false for syntax it does not follow (\Q...\E).
bool tokenize(std::string_view p, std::vector<Token>& out) {
  std::size_t i = 0;
  while (i < p.size()) {
    Token t;
    t.begin = i;
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) return false;
      const char n = p[i + 1];
      if (n == 'Q' || n == 'E') return false;
      i += 2;
      if ((n == 'x' || n == 'p' || n == 'P') && i < p.size() && p[i] == '{') {
        std::size_t close = p.find('}', i);
        if (close == std::string_view::npos) return false;
        i = close + 1;
      } else if (n == 'x') {
        for (int k = 0; k < 2 && i < p.size() && std::isxdigit(static_cast<unsigned char>(p[i])); ++k) ++i;
      } else if (n == 'p' || n == 'P') {
        if (i < p.size()) ++i;
      }
      t.kind = std::string_view("bBAzZG").find(n) != std::string_view::npos ? Token::zero_width : Token::atom;
      t.text = n;
    } else if (c == '[') {
      std::string ignored;
      t.kind = Token::atom;
      t.negated_class = i + 1 < p.size() && p[i + 1] == '^';
      i = skip_class(p, i + 1, ignored);
    } else if (c == '(') {
      ++i;
      t.kind = Token::open_plain;
      if (i < p.size() && p[i] == '?') {
        // (?:  (?flags:  or a flag setting (?flags) that opens nothing
        std::size_t k = i + 1;
        while (k < p.size() && (std::isalpha(static_cast<unsigned char>(p[k])) || p[k] == '-')) ++k;
        if (k >= p.size() || (p[k] != ':' && p[k] != ')')) return false;  // look-around etc.
        t.kind = p[k] == ':' ? Token::open_plain : Token::other;
        t.text = p[k] == ':' && k == i + 1 ? ':' : 0;  // ':' marks a bare (?:
        i = k + 1;
      }
    } else if (c == '{') {
      std::size_t k = i + 1, a = k;
      while (k < p.size() && is_digit(p[k])) ++k;
      std::size_t comma = k;
      bool range = k > a && k < p.size() && p[k] == ',';
      if (range) {
        ++k;
        while (k < p.size() && is_digit(p[k])) ++k;
        range = k > comma + 1 && k < p.size() && p[k] == '}' && k - a < 16;
      }
      if (range) {
        t.kind = Token::range;
        t.min = std::stoul(std::string(p.substr(a, comma - a)));
        t.max = std::stoul(std::string(p.substr(comma + 1, k - comma - 1)));
        i = k + 1;
      } else {
        // {n} or {n,} is a repeat; anything else (`{`, `{x}`, an unclosed `{3,`) is literal text.
        const std::size_t close = p.find('}', i);
        const bool repeat = k > a && k < p.size() && (p[k] == '}' || p[k] == ',') && close != std::string_view::npos;
        t.kind = repeat ? Token::other : Token::atom;
        i = repeat ? close + 1 : i + 1;
      }
    } else {
      ++i;
      t.text = c;
      switch (c) {
        case ')': t.kind = Token::close; break;
        case '|': t.kind = Token::alt; break;
        case '$': case '^': t.kind = Token::zero_width; break;
        case '*': case '+': case '?': t.kind = Token::other; break;
        default: t.kind = Token::atom;
      }
    }
    t.end = i;
    out.push_back(t);
  }
  return true;
}

}  // namespace

std::optional<HsTrimmed> hs_trimmed(const HsExpression& e) {
  constexpr unsigned long kMaxSlack = 1024;
  std::vector<Token> t;
  if (!tokenize(e.expression, t)) return std::nullopt;
  std::size_t n = t.size();
  auto is = [&](std::size_t k, Token::Kind kind, char text = 0) {
    return t[k].kind == kind && (text == 0 || t[k].text == text);
  };
  // The boundary: \b, $, or (?:[^...]|$) / (?:$|[^...]). Each can match an empty string, so
  // what precedes it has the whole expression's minimum width (more than 0).
  bool byte_boundary = false;
  if (n >= 1 && (is(n - 1, Token::zero_width, 'b') || is(n - 1, Token::zero_width, '$'))) {
    n -= 1;
  } else if (n >= 5 && is(n - 5, Token::open_plain, ':') && is(n - 3, Token::alt) && is(n - 1, Token::close) &&
             ((t[n - 4].negated_class && is(n - 2, Token::zero_width, '$')) ||
              (is(n - 4, Token::zero_width, '$') && t[n - 2].negated_class))) {
    n -= 5;
    byte_boundary = true;
  }
  const std::size_t cut = n == 0 ? 0 : t[n - 1].end;  // where the boundary started
  std::size_t closes = 0;
  while (n >= 1 && is(n - 1, Token::close)) --n, ++closes;
  HsTrimmed out;
  out.expression.flags = e.flags;
  if (n >= 2 && is(n - 1, Token::range) && is(n - 2, Token::atom)) {
    const Token& r = t[n - 1];
    if (r.min >= 1 && r.max > r.min && r.max - r.min + 1 <= kMaxSlack) {
      out.expression.expression = e.expression.substr(0, r.begin) + "{" + std::to_string(r.min) + "}" +
                                  std::string(closes, ')');
      out.slack = r.max - r.min + 1;
      return out;
    }
  }
  // No range to trim: a one-byte boundary alone is still worth dropping (it made ably-api-key,
  // `[...]{43}(?:[^...]|$)`, cost more than half of the whole database's scan).
  if (!byte_boundary || cut == 0) return std::nullopt;
  out.expression.expression = e.expression.substr(0, cut);
  out.slack = 1;
  return out;
}

RE2::Options re2_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);  // room for the DFA on 64 KiB multi-line windows
  return o;
}

std::string re2_pattern(std::string_view pattern) { return "(?m)" + std::string(pattern); }

HsExpression hs_expression(std::string_view p) {
  HsExpression e;
  e.flags = HS_FLAG_MULTILINE;
  std::size_t i = 0;
  // A leading "(?ims)" becomes flags: Vectorscan optimises whole-pattern flags better.
  if (p.size() >= 4 && p[0] == '(' && p[1] == '?') {
    std::size_t close = p.find(')', 2);
    if (close != std::string_view::npos && close > 2) {
      unsigned flags = 0;
      bool ok = true;
      for (std::size_t k = 2; k < close; ++k) {
        switch (p[k]) {
          case 'i': flags |= HS_FLAG_CASELESS; break;
          case 's': flags |= HS_FLAG_DOTALL; break;
          case 'm': break;  // always on
          default: ok = false;
        }
      }
      if (ok) {
        e.flags |= flags;
        i = close + 1;
      }
    }
  }
  std::string& out = e.expression;
  out.reserve(p.size());
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      out += p.substr(i, 2);
      i += 2;
    } else if (c == '[') {
      out += c;
      i = skip_class(p, i + 1, out);
    } else if (c == '(' && is_named_group(p.substr(i))) {
      std::size_t end = p.find('>', i);
      out += '(';  // Vectorscan has no use for the name; RE2 keeps it
      i = end == std::string_view::npos ? p.size() : end + 1;
    } else {
      out += c;
      ++i;
    }
  }
  return e;
}

HsCheck hs_check(const HsExpression& e) {
  for (unsigned extra : {0u, static_cast<unsigned>(HS_FLAG_PREFILTER)}) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_error_t rc = hs_expression_info(e.expression.c_str(), e.flags | extra, &info, &err);
    std::unique_ptr<hs_expr_info_t, ExprInfoFree> info_guard(info);
    std::unique_ptr<hs_compile_error_t, CompileErrorFree> err_guard(err);
    if (rc == HS_SUCCESS) {
      if (info->min_width == 0) return {extra != 0, "the pattern can match an empty string"};
      return {extra != 0, {}};
    }
    if (extra != 0) return {true, err && err->message ? err->message : "Vectorscan rejected the pattern"};
  }
  return {};
}

int secret_group(const RE2& re) {
  const auto& named = re.NamedCapturingGroups();
  if (auto it = named.find("secret"); it != named.end()) return it->second;
  return re.NumberOfCapturingGroups() >= 1 ? 1 : 0;
}

}  // namespace agent::controls::secrets
