#pragma once
// The secrets engine: the rules in one Vectorscan database (those with `paths` in a second one,
// scanned only over the files they select); each hit confirmed by RE2.
//
// Vectorscan reports only where a candidate match ends. The engine then runs the rule's RE2 on a
// bounded window around that end (the line, at most 16 KiB before and 4 KiB after; 64 KiB
// back for `multiline` rules) to confirm the match and extract the secret. Every later hit of the same
// rule inside a window already confirmed is dropped, so each region is confirmed once per rule
// and the work stays linear in the input, even for a 50 MB single line. Since a one-line rule is
// confirmed on its whole line, Vectorscan may look for a cheaper prefix of its pattern
// (hs_trimmed): a hit then lies at most `slack` bytes before the match's end.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/secrets/rule.h"
#include "agent/findings/finding.h"

namespace agent::controls::secrets {

class ExactValues;

/// Per-thread scratch space (Vectorscan scratch + reusable buffers). Not thread-safe; one per
/// worker, usable only with the Engine that made it.
class Scratch {
 public:
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  struct Impl;  ///< defined in engine.cpp

 private:
  friend class Engine;
  explicit Scratch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Engine {
 public:
  /// Compiles `rules` into one database, or loads it from `cache_dir` when a database for the
  /// same rules (keyed by a hash of their content, the Vectorscan version and the platform) is
  /// there. An empty `cache_dir` disables the cache. Throws util::UsageError on a rule that
  /// cannot compile.
  Engine(RuleSet rules, const std::filesystem::path& cache_dir);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  /// A fresh scratch for one worker thread.
  std::unique_ptr<Scratch> make_scratch() const;

  /// Scans `data` (the whole content of `path`), appending confirmed findings with 1-based
  /// line/column (bytes) of the secret relative to `data`, in order of position. Applies entropy,
  /// allow-lists, placeholder filtering, keywords and inline suppression (`jit:allow`,
  /// `gitleaks:allow` on the line); suppressed matches add to `stats.suppressed`. A generic
  /// rule's finding overlapping a specific rule's match is dropped. Linear in `data.size()`.
  void scan(std::string_view data, std::string_view path, Scratch& scratch,
            std::vector<findings::Finding>& out, findings::ScanStats& stats) const;

  /// Also finds these exact values (the job's CI/CD variable values, exact_values.h) in every
  /// buffer `scan` is given; a rule's finding overlapping a value's match is dropped (the
  /// variable's finding says more). Set before any scratch is used. Not part of rules_hash():
  /// verdicts cached under the rules say nothing about the values (see scan_values).
  void set_exact_values(std::shared_ptr<const ExactValues> values);
  /// The values set, or null.
  const ExactValues* exact_values() const;
  /// Only the exact values, for content the verdict cache already knows free of rule findings.
  void scan_values(std::string_view data, std::string_view path, Scratch& scratch,
                   std::vector<findings::Finding>& out) const;

  /// How many levels of encoding (base64, hex, percent) `scan` looks inside: 0 disables, 1 (the
  /// default) decodes encoded runs of the text once; see decode.h.
  void set_decode_depth(int depth);
  int decode_depth() const;

  const RuleSet& rules() const;

  /// Hex SHA-256 of everything that decides what `scan` reports: every rule's meaning (pattern,
  /// filters, paths, severity, texts) and the decode depth. Verdicts cached under it stay valid
  /// for exactly these rules.
  std::string rules_hash() const;
  /// Which of the rules restricted by `paths` apply to `path`: "" when none do (most files), else
  /// their indices. Two paths with the same key get the same findings for the same content, up to
  /// the path written into them.
  std::string path_key(std::string_view path) const;
  /// True when the last construction loaded the database from the cache.
  bool loaded_from_cache() const;
  /// Number of rules Vectorscan runs in prefilter mode (0 when loaded from the cache).
  std::size_t prefiltered_rules() const;

 private:
  void scan_level(std::string_view data, std::string_view path, Scratch& scratch,
                  std::vector<findings::Finding>& out, findings::ScanStats& stats, int depth) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agent::controls::secrets
