#pragma once
// The secrets engine: every rule in one Vectorscan database; each hit confirmed by RE2.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/secrets/rule.h"
#include "agent/event/environment.h"
#include "agent/findings/finding.h"

namespace agent::controls::secrets {

/// Per-thread scratch space (Vectorscan scratch + reusable buffers). Not thread-safe; one per worker.
class Scratch;

class Engine {
 public:
  /// Compiles `rules` into one database, or loads it from `cache_dir` when a database for the
  /// same rules (keyed by a hash of their content and the Vectorscan version) is there.
  /// An empty `cache_dir` disables the cache. Throws util::UsageError on a rule that cannot compile.
  Engine(RuleSet rules, const std::filesystem::path& cache_dir);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  /// A fresh scratch for one worker thread.
  std::unique_ptr<Scratch> make_scratch() const;

  /// Scans `data` (the whole content of `path`), appending confirmed findings with 1-based
  /// line/column relative to `data`. Applies entropy, allow-lists, placeholder filtering and
  /// inline suppression (`jit:allow`, `gitleaks:allow`); suppressed matches add to
  /// `stats.suppressed`. Linear in `data.size()`.
  void scan(std::string_view data, std::string_view path, Scratch& scratch,
            std::vector<findings::Finding>& out, findings::ScanStats& stats) const;

  const RuleSet& rules() const;
  /// True when the last construction loaded the database from the cache.
  bool loaded_from_cache() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The default cache folder for compiled databases: $JIT_CACHE_DIR/hsdb, else
/// $XDG_CACHE_HOME/jit-agent/hsdb, else ~/.cache/jit-agent/hsdb.
std::filesystem::path default_cache_dir(const event::Environment& env);

}  // namespace agent::controls::secrets
