#include "agent/controls/secrets/engine.h"
#include "agent/util/hash.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>

#include <spdlog/spdlog.h>

#include "agent/controls/secrets/database.h"
#include "agent/controls/secrets/decode.h"
#include "agent/controls/secrets/exact_values.h"
#include "agent/controls/secrets/matches.h"
#include "agent/controls/secrets/pattern.h"
#include "agent/util/error.h"

namespace agent::controls::secrets {
namespace {

constexpr std::size_t kLineBefore = 16 << 10;      // window before a hit for one-line rules
constexpr std::size_t kMultilineBefore = 64 << 10;  // ... for multi-line rules (private keys)
constexpr std::size_t kAfter = 4 << 10;             // window after a hit
// hs_scan takes an unsigned int length: larger buffers are scanned in overlapping chunks.
constexpr std::size_t kChunk = std::size_t{1} << 30;
constexpr std::size_t kChunkOverlap = std::size_t{1} << 20;

}  // namespace

struct Scratch::Impl {
  Impl(const Database& db, const Database& path_db, std::size_t rules)
      : hs(db.get() ? std::make_unique<HsScratch>(db) : nullptr) {
    if (hs && path_db.get()) hs->extend(path_db);
    covered_end.resize(rules);
    last_end.resize(rules);
  }
  std::unique_ptr<HsScratch> hs;
  std::vector<std::size_t> covered_end;  // per rule: hits ending at or before this are confirmed
  std::vector<std::size_t> last_end;     // per rule: end of the last match taken
  std::vector<RawMatch> matches;         // this buffer's confirmed matches
  std::vector<std::size_t> markers;      // end offsets of suppression comments
  std::vector<re2::StringPiece> groups;
  MatchBuffers buffers;
  DecodeBuffers decode;
  std::unique_ptr<Scratch> nested;       // scans decoded text (one level deeper)
  std::unique_ptr<ExactValues::Scratch> exact;  // for the exact values, made on first use
};

Scratch::Scratch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scratch::~Scratch() = default;

struct Engine::Impl {
  RuleSet rules;
  std::vector<CompiledRule> compiled;
  std::vector<unsigned> path_rules;  // rules with `paths`, decided per file
  // Rules without `paths` and the suppression markers, scanned over every buffer; rules with
  // `paths` (the credential-file rules, line-anchored without a keyword: costly to run
  // everywhere) in their own database, scanned only over files one of them selects.
  Database db;
  Database path_db;
  bool from_cache = false;
  std::size_t prefiltered = 0;
  int decode_depth = 1;
  std::shared_ptr<const ExactValues> exact;
};

namespace {

struct ScanContext {
  const std::vector<CompiledRule>& rules;
  std::string_view data;
  Scratch::Impl& s;
  std::size_t base = 0;  // offset of the current chunk in `data`
  std::exception_ptr error;
};

// Runs the rule's RE2 on a bounded window around `end` (the end of a Vectorscan candidate) and
// records every match found there; remembers the window so later hits inside it are skipped.
void confirm(ScanContext& ctx, unsigned r, std::size_t end) {
  const CompiledRule& rule = ctx.rules[r];
  const char* d = ctx.data.data();
  const std::size_t n = ctx.data.size();
  const std::size_t last = end - 1;  // last byte of the candidate
  const std::size_t before = rule.multiline ? kMultilineBefore : kLineBefore;
  const std::size_t lo = last > before ? last - before : 0;

  // Window start: a line start, no further back than `before`.
  std::size_t ws = lo;
  bool ws_cut = false;
  if (!rule.multiline) {
    const void* nl = last > lo ? memrchr(d + lo, '\n', last - lo) : nullptr;
    if (nl) ws = static_cast<std::size_t>(static_cast<const char*>(nl) - d) + 1;
    else ws_cut = lo > 0;
  } else if (lo > 0) {
    const void* nl = std::memchr(d + lo, '\n', last - lo);
    if (nl) ws = static_cast<std::size_t>(static_cast<const char*>(nl) - d) + 1;
    else ws_cut = true;
  }
  // Window end: the end of the line, no further than `kAfter`. A multi-line rule's window reaches
  // `kAfter` further first, so each confirmation advances by at least that much and its 64 KiB
  // look-back is paid at most once per 4 KiB, not once per line (END marker on every line).
  const std::size_t from = rule.multiline ? std::min(n, end + kAfter) : end;
  const std::size_t hi = std::min(n, from + kAfter);
  const void* nl = from < hi ? std::memchr(d + from, '\n', hi - from) : nullptr;
  const std::size_t we = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - d) : hi;
  const bool we_cut = !nl && hi < n;

  auto& groups = ctx.s.groups;
  const int nsub = rule.group + 1;
  if (groups.size() < static_cast<std::size_t>(nsub)) groups.resize(static_cast<std::size_t>(nsub));
  std::size_t pos = ws;
  while (pos < we) {
    if (!rule.re->Match(ctx.data, pos, we, RE2::UNANCHORED, groups.data(), nsub)) break;
    const auto ms = static_cast<std::size_t>(groups[0].data() - d);
    const std::size_t me = ms + groups[0].size();
    if (me == ms) {
      pos = me + 1;
      continue;
    }
    // A match touching a cut edge of the window may be a piece of a longer one: the hit at its
    // real end (after the window) confirms it with a window of its own.
    const bool cut = (we_cut && me == we) || (ws_cut && ms == ws);
    if (!cut && ms >= ctx.s.last_end[r]) {
      const re2::StringPiece& sp = groups[static_cast<std::size_t>(rule.group)];
      std::size_t ss = ms, se = me;
      if (sp.data() != nullptr) {
        ss = static_cast<std::size_t>(sp.data() - d);
        se = ss + sp.size();
      }
      if (se > ss) ctx.s.matches.push_back({r, ms, me, ss, se});
      ctx.s.last_end[r] = me;
    }
    pos = me;
  }
  // A cut window covers up to its edge; for a trimmed rule, a match may reach up to `slack`
  // past its hit, so a hit that close to the edge confirms again (a match ending beyond the edge
  // has its hit no further back than that).
  ctx.s.covered_end[r] = !we_cut ? we : (we - 1 > rule.slack ? we - 1 - rule.slack : 0);
}

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
             void* context) {
  auto& ctx = *static_cast<ScanContext*>(context);
  const std::size_t end = ctx.base + static_cast<std::size_t>(to);
  if (id >= ctx.rules.size()) {  // a suppression comment (ids after the rules)
    if (ctx.s.markers.empty() || ctx.s.markers.back() < end) ctx.s.markers.push_back(end);
    return 0;
  }
  if (end == 0 || end <= ctx.s.covered_end[id]) return 0;
  try {
    confirm(ctx, id, end);
  } catch (...) {
    ctx.error = std::current_exception();
    return 1;  // stops the scan; rethrown after hs_scan returns
  }
  return 0;
}

std::string describe_rule(const Rule& rule, const std::string& message) {
  return util::at(rule.file, rule.pattern_line, rule.pattern_column,
                  "rule " + rule.id + ": Vectorscan cannot compile the pattern: " + message);
}

}  // namespace

Engine::Engine(RuleSet rules, const std::filesystem::path& cache_dir) : impl_(std::make_unique<Impl>()) {
  impl_->rules = std::move(rules);
  const auto count = static_cast<unsigned>(impl_->rules.rules.size());
  std::vector<HsExpression> exprs, path_exprs;  // match id = rule index
  std::vector<unsigned> ids, path_ids;
  for (unsigned r = 0; r < count; ++r) {
    const Rule& rule = impl_->rules.rules[r];
    CompiledRule& compiled = impl_->compiled.emplace_back(compile_rule(rule));
    HsExpression e = hs_expression(rule.pattern);
    if (!rule.multiline) {
      if (auto trimmed = hs_trimmed(e)) {
        e = std::move(trimmed->expression);
        compiled.slack = trimmed->slack;
      }
    }
    (rule.paths.empty() ? exprs : path_exprs).push_back(std::move(e));
    (rule.paths.empty() ? ids : path_ids).push_back(r);
    if (!rule.paths.empty()) impl_->path_rules.push_back(r);
  }
  if (count == 0) return;
  for (std::size_t k = 0; k < std::size(kSuppressionMarkers); ++k) {
    exprs.push_back({std::string(kSuppressionMarkers[k]), HS_FLAG_MULTILINE});
    ids.push_back(count + static_cast<unsigned>(k));
  }
  auto build = [&](const std::vector<HsExpression>& e, const std::vector<unsigned>& id) {
    return build_database(e, cache_dir, [&](std::size_t i, const std::string& message) {
      return id[i] < count ? describe_rule(impl_->rules.rules[id[i]], message) : message;
    }, id);
  };
  auto built = build(exprs, ids);
  impl_->db = std::move(built.db);
  impl_->from_cache = built.from_cache;
  impl_->prefiltered = built.prefiltered;
  if (!path_exprs.empty()) {
    auto path_built = build(path_exprs, path_ids);
    impl_->path_db = std::move(path_built.db);
    impl_->from_cache = impl_->from_cache && path_built.from_cache;
    impl_->prefiltered += path_built.prefiltered;
  }
  if (impl_->from_cache)
    spdlog::debug("secrets: {} rules loaded from the compiled cache in {}", impl_->compiled.size(), cache_dir.string());
  else
    spdlog::debug("secrets: compiled {} rules ({} in prefilter mode)", impl_->compiled.size(), impl_->prefiltered);
}

Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

std::unique_ptr<Scratch> Engine::make_scratch() const {
  return std::unique_ptr<Scratch>(
      new Scratch(std::make_unique<Scratch::Impl>(impl_->db, impl_->path_db, impl_->compiled.size())));
}

const RuleSet& Engine::rules() const { return impl_->rules; }

std::string Engine::rules_hash() const {
  // Length-prefixed fields, so no two rule sets serialise alike.
  std::string text = "jit-agent secrets verdict v1\n";
  auto field = [&text](std::string_view v) {
    text += std::to_string(v.size());
    text += ':';
    text += v;
  };
  auto list = [&](const std::vector<std::string>& v) {
    field(std::to_string(v.size()));
    for (const auto& s : v) field(s);
  };
  field(std::to_string(impl_->decode_depth));
  for (const Rule& r : impl_->rules.rules) {
    field(r.id);
    field(r.name);
    field(r.description);
    field(findings::to_string(r.severity));
    field(findings::to_string(r.confidence));
    field(r.pattern);
    list(r.keywords);
    field(std::to_string(r.entropy));
    field(std::to_string(r.low_confidence_entropy));
    list(r.allow);
    field(std::to_string(r.filter_placeholders ? static_cast<int>(r.placeholders) : -1));
    list(r.paths);
    field(r.multiline ? "m" : "");
    field(r.generic ? "g" : "");
    field(r.checksum);
    list(r.references);
    list(r.cwes);
  }
  return util::sha256_hex(text);
}

std::string Engine::path_key(std::string_view path) const {
  std::string key;
  for (unsigned r : impl_->path_rules)
    if (applies_to_path(impl_->compiled[r], path)) key += std::to_string(r) + ",";
  return key;
}
void Engine::set_decode_depth(int depth) { impl_->decode_depth = std::max(0, depth); }
int Engine::decode_depth() const { return impl_->decode_depth; }
bool Engine::loaded_from_cache() const { return impl_->from_cache; }
std::size_t Engine::prefiltered_rules() const { return impl_->prefiltered; }

void Engine::set_exact_values(std::shared_ptr<const ExactValues> values) { impl_->exact = std::move(values); }
const ExactValues* Engine::exact_values() const { return impl_->exact.get(); }

void Engine::scan_values(std::string_view data, std::string_view path, Scratch& scratch,
                         std::vector<findings::Finding>& out) const {
  if (!impl_->exact) return;
  Scratch::Impl& s = *scratch.impl_;
  if (!s.exact) s.exact = impl_->exact->make_scratch();
  impl_->exact->scan(data, path, *s.exact, out);
}

void Engine::scan(std::string_view data, std::string_view path, Scratch& scratch,
                  std::vector<findings::Finding>& out, findings::ScanStats& stats) const {
  const std::size_t first = out.size();
  scan_level(data, path, scratch, out, stats, impl_->decode_depth);
  if (!impl_->exact) return;
  std::vector<findings::Finding> values;
  scan_values(data, path, scratch, values);
  if (values.empty()) return;
  // Where a rule matched (part of) a variable's value, the variable's finding stands alone.
  auto before = [](int l1, int c1, int l2, int c2) { return l1 < l2 || (l1 == l2 && c1 < c2); };
  auto overlaps = [&](const findings::Finding& f) {
    for (const auto& v : values)
      if (!before(f.end_line, f.end_column, v.line, v.column) && !before(v.end_line, v.end_column, f.line, f.column))
        return true;
    return false;
  };
  out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), overlaps), out.end());
  for (auto& v : values) out.push_back(std::move(v));
}

void Engine::scan_level(std::string_view data, std::string_view path, Scratch& scratch,
                        std::vector<findings::Finding>& out, findings::ScanStats& stats, int depth) const {
  Scratch::Impl& s = *scratch.impl_;
  const std::size_t first = out.size();
  if (data.empty() || !impl_->db.get()) return;
  std::fill(s.covered_end.begin(), s.covered_end.end(), 0);
  std::fill(s.last_end.begin(), s.last_end.end(), 0);
  // A rule whose `paths` do not select this file counts as confirmed everywhere: its hits are dropped.
  bool path_rule_applies = false;
  for (unsigned r : impl_->path_rules) {
    if (applies_to_path(impl_->compiled[r], path)) path_rule_applies = true;
    else s.covered_end[r] = std::numeric_limits<std::size_t>::max();
  }
  s.matches.clear();
  s.markers.clear();
  ScanContext ctx{impl_->compiled, data, s};
  auto scan_with = [&](const Database& db) {
    for (std::size_t base = 0;; base += kChunk - kChunkOverlap) {
      const std::size_t len = std::min(kChunk, data.size() - base);
      ctx.base = base;
      hs_error_t rc = hs_scan(db.get(), data.data() + base, static_cast<unsigned>(len), 0, s.hs->get(), on_match, &ctx);
      if (ctx.error) std::rethrow_exception(ctx.error);
      if (rc != HS_SUCCESS) throw util::RuntimeError("Vectorscan scan failed (error " + std::to_string(rc) + ")");
      if (base + len >= data.size()) break;
    }
  };
  scan_with(impl_->db);
  if (path_rule_applies) scan_with(impl_->path_db);
  if (!s.matches.empty()) emit_findings(impl_->compiled, data, path, s.matches, s.markers, s.buffers, out, stats);
  if (depth <= 0) return;
  scan_encoded(data, path, first, s.decode, [&](std::string_view text, std::vector<findings::Finding>& found,
                                                findings::ScanStats& st) {
    if (!s.nested) s.nested = make_scratch();
    scan_level(text, path, *s.nested, found, st, depth - 1);
  }, out, stats);
}

}  // namespace agent::controls::secrets
