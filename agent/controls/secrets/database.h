#pragma once
// One Vectorscan block-mode database for every rule, compiled once and cached on disk.
#include <hs/hs.h>

#include <filesystem>
#include <functional>
#include <utility>
#include <string>
#include <vector>

#include "agent/controls/secrets/pattern.h"

namespace agent::controls::secrets {

/// Owns an hs_database_t.
class Database {
 public:
  Database() = default;
  explicit Database(hs_database_t* db) : db_(db) {}
  ~Database() { hs_free_database(db_); }
  Database(Database&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Database& operator=(Database&& o) noexcept {
    std::swap(db_, o.db_);
    return *this;
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  hs_database_t* get() const { return db_; }

 private:
  hs_database_t* db_ = nullptr;
};

/// Owns an hs_scratch_t (one per thread).
class HsScratch {
 public:
  explicit HsScratch(const Database& db);
  /// Grows the scratch so it also serves `db`.
  void extend(const Database& db);
  ~HsScratch() { hs_free_scratch(scratch_); }
  HsScratch(const HsScratch&) = delete;
  HsScratch& operator=(const HsScratch&) = delete;
  hs_scratch_t* get() const { return scratch_; }

 private:
  hs_scratch_t* scratch_ = nullptr;
};

/// Where a rejected expression came from, for the error message ("file:line:col: ...").
using DescribeError = std::function<std::string(std::size_t index, const std::string& message)>;

struct BuiltDatabase {
  Database db;
  bool from_cache = false;
  std::size_t prefiltered = 0;   ///< expressions compiled in prefilter mode (0 when from cache)
};

/// Compiles `exprs` (match id = `ids[i]`, or the index when `ids` is empty) into one database, each exactly when Vectorscan can and
/// in prefilter mode otherwise, or loads it from `cache_dir` (empty: no cache). The cache file is
/// keyed by a SHA-256 of the expressions, Vectorscan's version and the platform; a corrupt file
/// is rebuilt, and only the newest 8 databases are kept. Throws util::UsageError (via `describe`) for an expression Vectorscan rejects.
BuiltDatabase build_database(const std::vector<HsExpression>& exprs,
                             const std::filesystem::path& cache_dir, const DescribeError& describe,
                             const std::vector<unsigned>& ids = {});

}  // namespace agent::controls::secrets
