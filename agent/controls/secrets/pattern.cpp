#include "agent/controls/secrets/pattern.h"

#include <hs/hs.h>

#include <cstdlib>
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

}  // namespace

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
