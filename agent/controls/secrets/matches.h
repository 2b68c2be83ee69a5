#pragma once
#include <algorithm>
#include <cstring>
// From confirmed regex matches to findings: filters, overlap resolution, suppression, positions.
#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/controls/secrets/rule.h"
#include "agent/findings/finding.h"

namespace agent::controls::secrets {

/// A rule ready to confirm matches.
struct CompiledRule {
  const Rule* rule = nullptr;
  std::shared_ptr<const RE2> re;            ///< re2_pattern(rule->pattern)
  int group = 0;                            ///< the secret's capture group (0: whole match)
  bool multiline = false;
  /// How far past a Vectorscan hit the rule's match may end (0: the hit is the match's end; see
  /// hs_trimmed). The engine sets it when it gives Vectorscan a trimmed expression.
  std::size_t slack = 0;
  std::vector<std::shared_ptr<const RE2>> allow;
  /// The rule's `paths` globs, each with the literal text it ends with (after its last wildcard),
  /// a cheap test that rejects most paths before util::glob_match runs.
  struct PathGlob {
    std::string glob;
    std::string suffix;
  };
  std::vector<PathGlob> paths;
};

/// True when `rule` runs on the file at `path` (it has no `paths`, or one of them matches).
bool applies_to_path(const CompiledRule& rule, std::string_view path);

/// Compiles a rule's RE2 regexes; throws util::UsageError naming the rule's file:line:col.
CompiledRule compile_rule(const Rule& rule);

/// A match RE2 confirmed: byte offsets of the whole match and of the secret in the buffer.
struct RawMatch {
  unsigned rule;
  std::size_t start, end;
  std::size_t secret_start, secret_end;
};

/// Reusable working storage, so a scan allocates nothing per match in the steady state.
struct MatchBuffers {
  std::vector<std::pair<std::size_t, std::size_t>> specific;  // [start, end) of specific matches
  std::vector<std::size_t> max_end;
  std::unordered_map<std::string, unsigned> occurrences;
  std::vector<std::pair<std::size_t, std::size_t>> suppressed_lines;  // [start, end), sorted
};

/// Inline suppression comments; the engine finds them in the same Vectorscan pass as the rules.
inline constexpr std::string_view kSuppressionMarkers[] = {"jit:allow", "gitleaks:allow"};

/// Filters `matches` (entropy, allow, placeholders, keywords, generic-vs-specific overlap,
/// suppression on the lines of `markers`, the end offsets of suppression comments) and appends a
/// Finding for each survivor, in position order, with its confidence (see rule.h).
void emit_findings(const std::vector<CompiledRule>& rules, std::string_view data, std::string_view path,
                   std::vector<RawMatch>& matches, const std::vector<std::size_t>& markers, MatchBuffers& buffers,
                   std::vector<findings::Finding>& out, findings::ScanStats& stats);

// Line numbers for increasing offsets without rescanning from the start each time.
class LineCursor {
 public:
  explicit LineCursor(std::string_view data) : data_(data) {}
  void advance(std::size_t to) {
    const char* d = data_.data();
    while (pos_ < to) {
      const void* nl = std::memchr(d + pos_, '\n', to - pos_);
      if (!nl) break;
      pos_ = static_cast<std::size_t>(static_cast<const char*>(nl) - d) + 1;
      line_start_ = pos_;
      ++line_;
    }
    pos_ = std::max(pos_, to);
  }
  int line() const { return line_; }
  std::size_t line_start() const { return line_start_; }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
};

}  // namespace agent::controls::secrets
