#pragma once
// The local OSV index: one SQLite file (DIR/osv.db) keyed by (ecosystem, normalised package
// name). Writers build a new file beside it and rename it over the old one, so a scan never
// sees a half-written index.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/dependencies/osv_record.h"

struct sqlite3;

namespace agent::controls::dependencies {

/// The index file inside a database folder.
std::filesystem::path db_file(const std::filesystem::path& dir);

/// What the index keeps of an advisory besides its affected entries.
struct AdvisoryInfo {
  std::string id;
  std::string modified;
  std::string published;
  std::string withdrawn;
  std::string summary;
  std::string details;               ///< first 2,000 characters
  std::vector<std::string> aliases;
  std::vector<OsvSeverity> severity;
  std::string database_severity;
  std::vector<std::string> cwes;
  std::vector<std::string> references;
};

/// An affected entry found for a package, with the advisory it belongs to.
struct StoredAffected {
  std::string advisory_id;
  OsvAffected affected;
};

/// Where the records of one ecosystem came from (`db update`), for status and conditional GETs.
struct SourceInfo {
  std::string ecosystem;
  std::string url;
  std::string etag;
  std::string last_modified;
  std::int64_t updated_at = 0;       ///< unix seconds of the last successful check
  std::int64_t records = 0;
};

struct DbStatus {
  std::map<std::string, std::int64_t> advisories_per_ecosystem;  ///< base ecosystem -> advisories
  std::int64_t advisories = 0;
  std::int64_t withdrawn = 0;
  std::int64_t built_at = 0;         ///< unix seconds when this file was written
  std::vector<SourceInfo> sources;
  std::uint64_t file_size = 0;
};

/// Read-only access to an index. Not thread-safe: one per thread.
class OsvDatabase {
 public:
  /// Opens DIR/osv.db; nullptr when it does not exist. Throws RuntimeError when unreadable.
  static std::unique_ptr<OsvDatabase> open(const std::filesystem::path& dir);
  ~OsvDatabase();
  OsvDatabase(const OsvDatabase&) = delete;
  OsvDatabase& operator=(const OsvDatabase&) = delete;

  /// Affected entries for a package (ecosystem base name, name as the lockfile spells it).
  std::vector<StoredAffected> lookup(std::string_view ecosystem, std::string_view name) const;
  /// The advisory's metadata; nullopt when unknown.
  std::optional<AdvisoryInfo> advisory(std::string_view id) const;
  /// Ids of the advisories (not withdrawn) that list `id` among their aliases, sorted.
  std::vector<std::string> records_aliasing(std::string_view id) const;
  DbStatus status() const;
  /// The recorded source of `ecosystem` (`db update`), if any.
  std::optional<SourceInfo> source(std::string_view ecosystem) const;

 private:
  explicit OsvDatabase(sqlite3* db, std::filesystem::path file);
  struct Statements;
  sqlite3* db_;
  std::filesystem::path file_;
  std::unique_ptr<Statements> stmts_;  ///< prepared once: a scan runs thousands of look-ups
};

/// Builds the next version of an index: starts from a copy of the current one (or empty), and
/// commit() atomically replaces DIR/osv.db. Destroying it without commit() leaves the old index.
class OsvDbWriter {
 public:
  explicit OsvDbWriter(const std::filesystem::path& dir);
  ~OsvDbWriter();
  OsvDbWriter(const OsvDbWriter&) = delete;
  OsvDbWriter& operator=(const OsvDbWriter&) = delete;

  /// Adds or replaces (same id) a record; `origin` is "import" or the ecosystem it was downloaded for.
  void add(const OsvRecord& record, std::string_view origin);
  /// Drops every record that came from `origin` (before re-adding a fresh download).
  void remove_origin(std::string_view origin);
  /// Records where an ecosystem's export was fetched from.
  void set_source(const SourceInfo& info);
  /// Base ecosystems present in the index.
  std::vector<std::string> ecosystems() const;
  /// Writes everything and renames the new file over DIR/osv.db.
  void commit();

 private:
  void exec(const char* sql);
  void backfill_aliases();
  std::filesystem::path dir_;
  std::filesystem::path temp_;
  sqlite3* db_ = nullptr;
  struct Statements;
  std::unique_ptr<Statements> stmts_;
  bool committed_ = false;
};

}  // namespace agent::controls::dependencies
