#include "agent/controls/secrets/exact_values.h"

#include <hs/hs.h>
#include <string.h>

#include <algorithm>
#include <exception>
#include <map>
#include <set>

#include "agent/controls/secrets/entropy.h"
#include "agent/controls/secrets/fingerprint.h"
#include "agent/util/error.h"
#include "agent/util/hash.h"

namespace agent::controls::secrets {
namespace {

constexpr std::size_t kMaxLiteral = 16 << 10;     // a longer value is matched by its lines only
constexpr std::size_t kMinLine = 24;              // lines of a multi-line value matched on their own
constexpr double kMinLineEntropy = 4.0;           // ... when they look random (a key's base64 body)
constexpr std::size_t kChunk = std::size_t{1} << 30;  // hs_scan takes an unsigned length

std::string_view trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// The base64 characters of `value` placed `offset` bytes (0..2) into a longer encoded text
/// that depend on the value's bytes only.
std::string base64_stable(std::string_view value, int offset, bool url_safe) {
  static constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* alphabet = url_safe ? kUrl : kStd;
  std::string bytes(static_cast<std::size_t>(offset), '\0');
  bytes.append(value);
  const std::size_t bits = bytes.size() * 8;
  const std::size_t first = (static_cast<std::size_t>(offset) * 8 + 5) / 6;  // first char after the padding bytes
  const std::size_t last = bits / 6;                                          // chars wholly inside the bytes
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    unsigned v = 0;
    for (std::size_t b = i * 6; b < i * 6 + 6; ++b)
      v = (v << 1) | ((static_cast<unsigned char>(bytes[b / 8]) >> (7 - b % 8)) & 1u);
    out.push_back(alphabet[v]);
  }
  std::fill(bytes.begin(), bytes.end(), '\0');
  return out;
}

std::string percent_encode(std::string_view value, bool lower, bool plus_for_space) {
  static constexpr char kUpper[] = "0123456789ABCDEF";
  static constexpr char kLower[] = "0123456789abcdef";
  const char* hex = lower ? kLower : kUpper;
  std::string out;
  for (unsigned char c : value) {
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out.push_back(static_cast<char>(c));
    else if (c == ' ' && plus_for_space) out.push_back('+');
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string hex_encode(std::string_view value, bool lower) {
  const char* hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string json_escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

void wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

/// 1-based line and byte column of `pos` in `data`.
std::pair<int, int> line_col(std::string_view data, std::size_t pos) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos; ++i)
    if (data[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, static_cast<int>(pos - line_start) + 1};
}

std::string describe(const findings::VariableDetail& v) {
  std::vector<std::string> kinds;
  if (v.masked) kinds.push_back("masked");
  if (v.hidden) kinds.push_back("hidden");
  if (v.is_protected) kinds.push_back("protected");
  std::string kind;
  for (std::size_t i = 0; i < kinds.size(); ++i) kind += (i == 0 ? "" : (i + 1 == kinds.size() ? " and " : ", ")) + kinds[i];
  std::string text = "This file holds the value of the " + (kind.empty() ? std::string() : kind + " ") +
                     (v.variable_type == "file" ? "file-type " : "") + "CI/CD variable " + v.key + " (" + v.level +
                     (v.owner.empty() ? std::string() : " " + v.owner) +
                     (v.environment_scope.empty() || v.environment_scope == "*" ? std::string()
                                                                              : ", environment " + v.environment_scope) +
                     ")";
  if (v.form == "base64") text += ", base64-encoded";
  else if (v.form == "percent") text += ", URL-encoded";
  else if (v.form == "hex") text += ", hex-encoded";
  else if (v.form == "json") text += ", as a JSON string";
  else if (v.form == "line") text += " (one of its lines)";
  text += ". Anyone who can read this repository can use it: rotate the value in GitLab (Settings > CI/CD > "
          "Variables), then remove it from the code.";
  return text;
}

}  // namespace

std::vector<ValueForm> value_forms(std::string_view raw) {
  std::vector<ValueForm> out;
  auto add = [&](std::string literal, const char* form) {
    if (literal.size() < kMinValueLength || literal.size() > kMaxLiteral * 3) return wipe(literal);
    for (const auto& f : out)
      if (f.literal == literal) return wipe(literal);
    out.push_back({std::move(literal), form});
  };
  const std::string_view value = trim(raw);
  if (value.size() < kMinValueLength) return out;
  if (value.size() <= kMaxLiteral) {
    add(std::string(value), "plain");
    for (bool url_safe : {false, true})
      for (int offset = 0; offset < 3; ++offset) add(base64_stable(value, offset, url_safe), "base64");
    for (bool lower : {false, true})
      for (bool plus : {false, true}) add(percent_encode(value, lower, plus), "percent");
    for (bool lower : {false, true}) add(hex_encode(value, lower), "hex");
    add(json_escape(value), "json");
  }
  if (value.find('\n') != std::string_view::npos) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t nl = value.find('\n', start);
      if (nl == std::string_view::npos) nl = value.size();
      std::string_view line = trim(value.substr(start, nl - start));
      if (line.size() >= kMinLine && line.size() <= kMaxLiteral && line.find_first_of(" \t") == std::string_view::npos &&
          shannon_entropy(line) >= kMinLineEntropy)
        add(std::string(line), "line");
      start = nl + 1;
    }
  }
  return out;
}

struct ExactValues::Impl {
  struct Literal {
    std::size_t variable;
    std::string form;
    std::size_t length;
    bool check_left, check_right;  // a plain value whose edge is a letter or digit must not touch one
  };
  std::vector<findings::VariableDetail> variables;
  std::vector<Literal> literals;
  hs_database_t* db = nullptr;
  std::size_t longest = 0;
  ~Impl() { hs_free_database(db); }
};

struct ExactValues::Scratch::Impl {
  hs_scratch_t* hs = nullptr;
  ~Impl() { hs_free_scratch(hs); }
};
ExactValues::Scratch::~Scratch() = default;

ExactValues::ExactValues(std::vector<SecretValue> values) : impl_(std::make_unique<Impl>()) {
  std::vector<std::string> literals;
  for (auto& v : values) {
    auto forms = value_forms(v.value);
    wipe(v.value);
    if (forms.empty()) continue;
    const std::size_t index = impl_->variables.size();
    impl_->variables.push_back(v.variable);
    for (auto& f : forms) {
      const bool plain = f.form == "plain";
      impl_->literals.push_back({index, f.form, f.literal.size(),
                                 plain && is_alnum(static_cast<unsigned char>(f.literal.front())),
                                 plain && is_alnum(static_cast<unsigned char>(f.literal.back()))});
      impl_->longest = std::max(impl_->longest, f.literal.size());
      literals.push_back(std::move(f.literal));
    }
  }
  if (literals.empty()) return;
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> ids, flags;
  for (std::size_t i = 0; i < literals.size(); ++i) {
    exprs.push_back(literals[i].data());
    lens.push_back(literals[i].size());
    ids.push_back(static_cast<unsigned>(i));
    flags.push_back(0);
  }
  hs_compile_error_t* error = nullptr;
  const hs_error_t rc = hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr,
                                             &impl_->db, &error);
  for (auto& l : literals) wipe(l);
  if (rc != HS_SUCCESS) {
    // Vectorscan's message quotes no expression; it is safe to show.
    std::string message = error && error->message ? error->message : "error " + std::to_string(rc);
    hs_free_compile_error(error);
    throw util::RuntimeError("CI/CD variable values: Vectorscan could not compile them: " + message);
  }
}

ExactValues::~ExactValues() = default;

std::size_t ExactValues::variables() const { return impl_->variables.size(); }
std::size_t ExactValues::literals() const { return impl_->literals.size(); }

std::unique_ptr<ExactValues::Scratch> ExactValues::make_scratch() const {
  auto s = std::make_unique<Scratch>();
  s->impl = std::make_unique<Scratch::Impl>();
  if (impl_->db && hs_alloc_scratch(impl_->db, &s->impl->hs) != HS_SUCCESS)
    throw util::RuntimeError("CI/CD variable values: could not allocate Vectorscan scratch space");
  return s;
}

findings::Finding variable_finding(const findings::VariableDetail& variable, std::string_view data,
                                   std::string_view path, std::size_t begin, std::size_t end, unsigned occurrence) {
  findings::Finding f;
  f.control = "secrets";
  f.rule_id = std::string(kVariableRuleId);
  f.rule_name = "CI/CD variable value";
  f.description = describe(variable);
  f.severity = findings::Severity::critical;
  f.confidence = findings::Confidence::high;
  f.path = std::string(path);
  const auto [line, column] = line_col(data, begin);
  const auto [end_line, end_column] = line_col(data, end > begin ? end - 1 : begin);
  f.line = line;
  f.column = column;
  f.end_line = end_line;
  f.end_column = end_column;
  f.cwes = {"CWE-798"};
  f.references = {"https://docs.gitlab.com/ci/variables/"};
  // No SecretDetail: no text of the value at all, not even a hash; the variable is named instead.
  f.variable = variable;
  std::string identity = "ci-variable";
  for (const std::string* part : {&variable.level, &variable.owner, &variable.key, &variable.environment_scope})
    identity.append(1, '\0').append(*part);
  identity = util::sha256_hex(identity);
  f.fingerprint = secret_fingerprint(kVariableRuleId, path, identity, occurrence);
  return f;
}

void ExactValues::scan(std::string_view data, std::string_view path, Scratch& scratch,
                       std::vector<findings::Finding>& out) const {
  if (!impl_->db || data.empty()) return;
  struct Hit {
    std::size_t literal, begin, end;
  };
  struct Context {
    const Impl& impl;
    std::string_view data;
    std::size_t base;
    std::vector<Hit> hits;
  } ctx{*impl_, data, 0, {}};
  auto on_match = [](unsigned id, unsigned long long, unsigned long long to, unsigned, void* p) -> int {
    auto& c = *static_cast<Context*>(p);
    const auto& lit = c.impl.literals[id];
    const std::size_t end = c.base + static_cast<std::size_t>(to);
    const std::size_t begin = end - lit.length;
    if (lit.check_left && begin > 0 && is_alnum(static_cast<unsigned char>(c.data[begin - 1]))) return 0;
    if (lit.check_right && end < c.data.size() && is_alnum(static_cast<unsigned char>(c.data[end]))) return 0;
    c.hits.push_back({id, begin, end});
    return 0;
  };
  const std::size_t overlap = impl_->longest;
  for (std::size_t base = 0;; base += kChunk - overlap) {
    const std::size_t len = std::min(kChunk, data.size() - base);
    ctx.base = base;
    const hs_error_t rc = hs_scan(impl_->db, data.data() + base, static_cast<unsigned>(len), 0, scratch.impl->hs,
                                  on_match, &ctx);
    if (rc != HS_SUCCESS) throw util::RuntimeError("CI/CD variable values: Vectorscan scan failed (error " + std::to_string(rc) + ")");
    if (base + len >= data.size()) break;
  }
  if (ctx.hits.empty()) return;
  std::sort(ctx.hits.begin(), ctx.hits.end(), [](const Hit& a, const Hit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::map<std::size_t, std::size_t> last_end;    // per variable: end of the last match kept
  std::map<std::size_t, unsigned> occurrences;    // per variable: matches kept so far
  std::set<std::pair<std::size_t, std::size_t>> seen;  // chunk overlaps report a hit twice
  for (const Hit& h : ctx.hits) {
    const auto& lit = impl_->literals[h.literal];
    if (!seen.insert({h.literal, h.begin}).second) continue;
    auto it = last_end.find(lit.variable);
    if (it != last_end.end() && h.begin < it->second) continue;
    last_end[lit.variable] = h.end;
    findings::VariableDetail detail = impl_->variables[lit.variable];
    detail.form = lit.form;
    out.push_back(variable_finding(detail, data, path, h.begin, h.end, occurrences[lit.variable]++));
  }
}

}  // namespace agent::controls::secrets
