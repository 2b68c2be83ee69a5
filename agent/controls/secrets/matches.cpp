#include "agent/controls/secrets/matches.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <tuple>

#include "agent/controls/secrets/checksum.h"
#include "agent/controls/secrets/entropy.h"
#include "agent/controls/secrets/fingerprint.h"
#include "agent/controls/secrets/pattern.h"
#include "agent/controls/secrets/placeholder.h"
#include "agent/util/error.h"
#include "agent/util/glob.h"
#include "agent/util/hash.h"
#include "agent/util/redact.h"

namespace agent::controls::secrets {
namespace {

constexpr std::size_t kLineCap = 4 << 10;  // how far from a match its "line" is looked at

// [start, end) of the line holding byte `pos`, at most kLineCap either side.
std::pair<std::size_t, std::size_t> line_around(std::string_view data, std::size_t pos) {
  const char* d = data.data();
  const std::size_t lo = pos > kLineCap ? pos - kLineCap : 0;
  const std::size_t hi = std::min(data.size(), pos + kLineCap);
  const void* b = pos > lo ? memrchr(d + lo, '\n', pos - lo) : nullptr;
  const void* e = pos < hi ? std::memchr(d + pos, '\n', hi - pos) : nullptr;
  return {b ? static_cast<std::size_t>(static_cast<const char*>(b) - d) + 1 : lo,
          e ? static_cast<std::size_t>(static_cast<const char*>(e) - d) : hi};
}

bool contains_icase(std::string_view text, std::string_view lower_word) {
  if (lower_word.empty() || text.size() < lower_word.size()) return lower_word.empty();
  const std::size_t last = text.size() - lower_word.size();
  for (std::size_t i = 0; i <= last; ++i) {
    std::size_t k = 0;
    while (k < lower_word.size() &&
           std::tolower(static_cast<unsigned char>(text[i + k])) == static_cast<unsigned char>(lower_word[k]))
      ++k;
    if (k == lower_word.size()) return true;
  }
  return false;
}

// The lines holding a suppression marker (each marker offset is where it ends), merged and sorted.
void suppressed_lines(std::string_view data, const std::vector<std::size_t>& markers,
                      std::vector<std::pair<std::size_t, std::size_t>>& lines) {
  lines.clear();
  const char* d = data.data();
  for (std::size_t end : markers) {
    const std::size_t at = end - 1;
    if (!lines.empty() && at < lines.back().second) continue;  // same line as the last marker
    const void* b = memrchr(d, '\n', at);
    const void* e = std::memchr(d + at, '\n', data.size() - at);
    lines.emplace_back(b ? static_cast<std::size_t>(static_cast<const char*>(b) - d) + 1 : 0,
                       e ? static_cast<std::size_t>(static_cast<const char*>(e) - d) : data.size());
  }
}

bool in_lines(const std::vector<std::pair<std::size_t, std::size_t>>& lines, std::size_t pos) {
  auto it = std::upper_bound(lines.begin(), lines.end(), std::make_pair(pos, std::numeric_limits<std::size_t>::max()));
  return it != lines.begin() && pos < std::prev(it)->second;
}

Placeholders placeholders(const Rule& r) { return r.filter_placeholders ? r.placeholders : Placeholders::keep; }

// Weak secrets are still findings, with less confidence: a short or low-entropy password, or (for a
// rule that drops only structural placeholders) a value the full filter calls documentation.
findings::Confidence confidence_of(const Rule& r, std::string_view secret, double entropy) {
  if (r.low_confidence_entropy > 0 && (secret.size() < 8 || entropy < r.low_confidence_entropy))
    return findings::Confidence::low;
  if (placeholders(r) == Placeholders::structural && is_placeholder(secret)) return findings::Confidence::low;
  return r.confidence;
}

// The literal text a glob ends with, after its last wildcard or class (empty: no cheap test).
std::string literal_suffix(std::string_view glob) {
  if (glob.find('\\') != std::string_view::npos) return {};
  while (!glob.empty() && glob.back() == '/') glob.remove_suffix(1);
  const auto last = glob.find_last_of("*?]");
  if (last != std::string_view::npos) glob.remove_prefix(last + 1);
  while (glob.starts_with("/")) glob.remove_prefix(1);  // "**/x" also matches "x" at the root
  return std::string(glob);
}

// True when `suffix` ends `path` or one of its folders (glob_match also matches parent folders).
bool ends_segment(std::string_view path, std::string_view suffix) {
  for (auto at = path.find(suffix); at != std::string_view::npos; at = path.find(suffix, at + 1)) {
    const std::size_t end = at + suffix.size();
    if (end == path.size() || path[end] == '/') return true;
  }
  return false;
}

// Why a confirmed match is not a finding; false when it is one.
bool filtered(const CompiledRule& rule, std::string_view data, const RawMatch& m) {
  const Rule& r = *rule.rule;
  std::string_view secret = data.substr(m.secret_start, m.secret_end - m.secret_start);
  if (r.entropy > 0 && shannon_entropy(secret) < r.entropy) return true;
  if (!r.checksum.empty() && !checksum_valid(r.checksum, secret)) return true;
  for (const auto& allow : rule.allow)
    if (RE2::PartialMatch(secret, *allow)) return true;
  switch (placeholders(r)) {
    case Placeholders::all:
      if (is_placeholder(secret)) return true;
      break;
    case Placeholders::structural:
      if (is_structural_placeholder(secret)) return true;
      break;
    case Placeholders::keep:
      break;
  }
  if (!r.keywords.empty()) {
    const std::size_t from = line_around(data, m.start).first;
    const std::size_t to = line_around(data, m.end - 1).second;
    std::string_view match = data.substr(m.start, m.end - m.start);
    std::string_view region = data.substr(from, to - from);
    if (std::none_of(r.keywords.begin(), r.keywords.end(),
                     [&](const std::string& k) { return contains_icase(match, k); }) &&
        std::none_of(r.keywords.begin(), r.keywords.end(),
                     [&](const std::string& k) { return contains_icase(region, k); }))
      return true;
  }
  return false;
}

// Drops generic-rule matches whose secret overlaps a specific rule's match.
void drop_generic_overlaps(const std::vector<CompiledRule>& rules, std::vector<RawMatch>& matches,
                           MatchBuffers& b) {
  b.specific.clear();
  bool any_generic = false;
  for (const auto& m : matches) {
    if (rules[m.rule].rule->generic) any_generic = true;
    else b.specific.emplace_back(m.start, m.end);
  }
  if (!any_generic || b.specific.empty()) return;
  std::sort(b.specific.begin(), b.specific.end());
  b.max_end.resize(b.specific.size());
  std::size_t max_end = 0;
  for (std::size_t i = 0; i < b.specific.size(); ++i) b.max_end[i] = max_end = std::max(max_end, b.specific[i].second);
  std::erase_if(matches, [&](const RawMatch& m) {
    if (!rules[m.rule].rule->generic) return false;
    // Specific matches starting before the secret ends; any of them ending after it starts overlaps.
    auto it = std::lower_bound(b.specific.begin(), b.specific.end(), std::make_pair(m.secret_end, std::size_t{0}));
    if (it == b.specific.begin()) return false;
    return b.max_end[static_cast<std::size_t>(it - b.specific.begin()) - 1] > m.secret_start;
  });
}


}  // namespace

CompiledRule compile_rule(const Rule& rule) {
  CompiledRule c;
  c.rule = &rule;
  c.multiline = rule.multiline;
  c.re = rule.regex ? rule.regex : std::make_shared<const RE2>(re2_pattern(rule.pattern), re2_options());
  if (!c.re->ok())
    throw util::UsageError(util::at(rule.file, rule.pattern_line, rule.pattern_column,
                                    "rule " + rule.id + ": invalid regex: " + c.re->error()));
  c.group = secret_group(*c.re);
  for (std::size_t i = 0; i < rule.allow.size(); ++i) {
    c.allow.push_back(i < rule.allow_regexes.size() ? rule.allow_regexes[i]
                                                    : std::make_shared<const RE2>(rule.allow[i], re2_options()));
    if (!c.allow.back()->ok())
      throw util::UsageError(util::at(rule.file, rule.line, rule.column,
                                      "rule " + rule.id + ": invalid 'allow' regex: " + c.allow.back()->error()));
  }
  for (const auto& glob : rule.paths) c.paths.push_back({glob, literal_suffix(glob)});
  return c;
}

bool applies_to_path(const CompiledRule& rule, std::string_view path) {
  if (rule.paths.empty()) return true;
  for (const auto& g : rule.paths) {
    if (!g.suffix.empty() && !ends_segment(path, g.suffix)) continue;
    if (util::glob_match(g.glob, path)) return true;
  }
  return false;
}

void emit_findings(const std::vector<CompiledRule>& rules, std::string_view data, std::string_view path,
                   std::vector<RawMatch>& matches, const std::vector<std::size_t>& markers,
                   MatchBuffers& buffers, std::vector<findings::Finding>& out, findings::ScanStats& stats) {
  std::erase_if(matches, [&](const RawMatch& m) { return filtered(rules[m.rule], data, m); });
  drop_generic_overlaps(rules, matches, buffers);
  if (!markers.empty()) {
    suppressed_lines(data, markers, buffers.suppressed_lines);
    std::erase_if(matches, [&](const RawMatch& m) {
      bool hit = in_lines(buffers.suppressed_lines, m.secret_start) ||
                 in_lines(buffers.suppressed_lines, m.secret_end - 1);
      if (hit) ++stats.suppressed;
      return hit;
    });
  }
  std::sort(matches.begin(), matches.end(), [](const RawMatch& x, const RawMatch& y) {
    return std::tie(x.secret_start, x.rule) < std::tie(y.secret_start, y.rule);
  });

  buffers.occurrences.clear();
  LineCursor cursor(data);
  for (const RawMatch& m : matches) {
    const Rule& rule = *rules[m.rule].rule;
    std::string_view secret = data.substr(m.secret_start, m.secret_end - m.secret_start);
    findings::Finding f;
    f.control = "secrets";
    f.rule_id = rule.id;
    f.rule_name = rule.name;
    f.description = rule.description;
    f.severity = rule.severity;
    f.path = std::string(path);
    f.references = rule.references;
    f.cwes = rule.cwes;
    cursor.advance(m.secret_start);
    f.line = cursor.line();
    f.column = static_cast<int>(m.secret_start - cursor.line_start()) + 1;
    // The end may be on a later line (multi-line secrets): count the newlines inside the secret.
    std::size_t end_line_start = cursor.line_start();
    int end_line = f.line;
    for (std::size_t i = m.secret_start; i + 1 < m.secret_end; ++i)
      if (data[i] == '\n') {
        ++end_line;
        end_line_start = i + 1;
      }
    f.end_line = end_line;
    f.end_column = static_cast<int>(m.secret_end - 1 - end_line_start) + 1;
    findings::SecretDetail detail;
    detail.raw = std::string(secret);
    detail.redacted = util::mask_secret(secret);
    detail.secret_sha256 = util::sha256_hex(secret);
    detail.entropy = shannon_entropy(secret);
    f.confidence = confidence_of(rule, secret, detail.entropy);
    unsigned& seen = buffers.occurrences[rule.id + '\0' + detail.secret_sha256];
    f.fingerprint = secret_fingerprint(rule.id, path, detail.secret_sha256, seen++);
    f.secret = std::move(detail);
    out.push_back(std::move(f));
  }
}

}  // namespace agent::controls::secrets
