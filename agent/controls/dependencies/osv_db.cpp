#include "agent/controls/dependencies/osv_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "agent/controls/dependencies/osv_codec.h"
#include "agent/controls/dependencies/version.h"
#include "agent/util/error.h"

namespace agent::controls::dependencies {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFormat = "1";

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advisories(id TEXT PRIMARY KEY, origin TEXT NOT NULL, modified TEXT,
  published TEXT, withdrawn TEXT NOT NULL, summary TEXT, details TEXT, aliases TEXT,
  severity TEXT, db_severity TEXT, cwes TEXT, refs TEXT);
CREATE INDEX IF NOT EXISTS advisories_by_origin ON advisories(origin);
CREATE TABLE IF NOT EXISTS affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL,
  advisory TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS affected_by_package ON affected(ecosystem, name);
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected(advisory);
CREATE TABLE IF NOT EXISTS alias_of(alias TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alias_of_by_alias ON alias_of(alias);
CREATE INDEX IF NOT EXISTS alias_of_by_id ON alias_of(id);
CREATE TABLE IF NOT EXISTS sources(ecosystem TEXT PRIMARY KEY, url TEXT, etag TEXT,
  last_modified TEXT, updated_at INTEGER, records INTEGER);
)SQL";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw util::RuntimeError("OSV database: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// RAII prepared statement with positional binding helpers.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail(db, "prepare");
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(db_, "query");
    return false;
  }
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec_sql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw util::RuntimeError(std::string("OSV database: ") + msg);
  }
}

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

fs::path db_file(const fs::path& dir) { return dir / "osv.db"; }

// ---- reading ----

struct OsvDatabase::Statements {
  explicit Statements(sqlite3* db)
      : lookup(db,
               "SELECT a.advisory, a.data FROM affected a JOIN advisories d ON d.id = a.advisory "
               "WHERE a.ecosystem = ?1 AND a.name = ?2 AND d.withdrawn = '' ORDER BY a.advisory"),
        advisory(db,
                 "SELECT id, modified, published, withdrawn, summary, details, aliases, severity, "
                 "db_severity, cwes, refs FROM advisories WHERE id = ?1") {
    // Indexes written before the alias table existed have none: the look-up then finds nothing.
    Stmt has(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alias_of'");
    if (has.step()) {
      aliased_by = std::make_unique<Stmt>(
          db, "SELECT DISTINCT o.id FROM alias_of o JOIN advisories d ON d.id = o.id "
              "WHERE o.alias = ?1 AND d.withdrawn = '' ORDER BY o.id");
    }
  }
  Stmt lookup;
  Stmt advisory;
  std::unique_ptr<Stmt> aliased_by;
};

OsvDatabase::OsvDatabase(sqlite3* db, fs::path file) : db_(db), file_(std::move(file)) {}

OsvDatabase::~OsvDatabase() {
  stmts_.reset();
  sqlite3_close(db_);
}

std::unique_ptr<OsvDatabase> OsvDatabase::open(const fs::path& dir) {
  fs::path file = db_file(dir);
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return nullptr;
  // Writers never change an index in place (they rename a new file over it), so SQLite may treat
  // the file as immutable: no locks and no change checks on each of a scan's look-ups.
  std::string uri = "file:";
  for (char c : file.string()) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(c) >> 4];
      uri += kHex[static_cast<unsigned char>(c) & 15];
    } else {
      uri += c;
    }
  }
  uri += "?immutable=1";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw util::RuntimeError("cannot open OSV database " + file.string() + ": " + msg);
  }
  std::unique_ptr<OsvDatabase> out(new OsvDatabase(db, file));
  try {
    Stmt q(db, "SELECT value FROM meta WHERE key='format'");
    if (!q.step() || q.text(0) != kFormat) {
      throw util::RuntimeError("OSV database " + file.string() +
                               " has an unknown format: run `jit-agent db import` again");
    }
    out->stmts_ = std::make_unique<Statements>(db);
  } catch (const util::RuntimeError& e) {
    throw util::RuntimeError(std::string(e.what()) + " (" + file.string() + ")");
  }
  return out;
}

std::vector<StoredAffected> OsvDatabase::lookup(std::string_view ecosystem, std::string_view name) const {
  std::string base(base_ecosystem(ecosystem));
  std::string key = normalize_package_name(base, name);
  Stmt& q = stmts_->lookup;
  q.bind(1, base).bind(2, key);
  std::vector<StoredAffected> out;
  while (q.step()) out.push_back({q.text(0), decode_affected(q.text(1))});
  q.reset();
  return out;
}

std::optional<AdvisoryInfo> OsvDatabase::advisory(std::string_view id) const {
  Stmt& q = stmts_->advisory;
  q.bind(1, id);
  if (!q.step()) {
    q.reset();
    return std::nullopt;
  }
  AdvisoryInfo a;
  a.id = q.text(0);
  a.modified = q.text(1);
  a.published = q.text(2);
  a.withdrawn = q.text(3);
  a.summary = q.text(4);
  a.details = q.text(5);
  a.aliases = split_lines(q.text(6));
  a.severity = decode_severity(q.text(7));
  a.database_severity = q.text(8);
  a.cwes = split_lines(q.text(9));
  a.references = split_lines(q.text(10));
  q.reset();
  return a;
}

std::vector<std::string> OsvDatabase::records_aliasing(std::string_view id) const {
  std::vector<std::string> out;
  if (!stmts_->aliased_by) return out;
  Stmt& q = *stmts_->aliased_by;
  q.bind(1, id);
  while (q.step()) out.push_back(q.text(0));
  q.reset();
  return out;
}

DbStatus OsvDatabase::status() const {
  DbStatus s;
  Stmt per(db_,
           "SELECT a.ecosystem, COUNT(DISTINCT a.advisory) FROM affected a JOIN advisories d "
           "ON d.id = a.advisory WHERE d.withdrawn = '' GROUP BY a.ecosystem ORDER BY a.ecosystem");
  while (per.step()) s.advisories_per_ecosystem[per.text(0)] = per.integer(1);
  Stmt total(db_, "SELECT COUNT(*), COALESCE(SUM(withdrawn != ''), 0) FROM advisories");
  if (total.step()) {
    s.advisories = total.integer(0);
    s.withdrawn = total.integer(1);
  }
  Stmt built(db_, "SELECT value FROM meta WHERE key = 'built_at'");
  if (built.step()) s.built_at = std::stoll("0" + built.text(0));
  Stmt src(db_, "SELECT ecosystem, url, etag, last_modified, updated_at, records FROM sources ORDER BY ecosystem");
  while (src.step()) {
    s.sources.push_back({src.text(0), src.text(1), src.text(2), src.text(3), src.integer(4), src.integer(5)});
  }
  std::error_code ec;
  s.file_size = fs::file_size(file_, ec);
  return s;
}

std::optional<SourceInfo> OsvDatabase::source(std::string_view ecosystem) const {
  Stmt q(db_, "SELECT ecosystem, url, etag, last_modified, updated_at, records FROM sources WHERE ecosystem = ?1");
  q.bind(1, ecosystem);
  if (!q.step()) return std::nullopt;
  return SourceInfo{q.text(0), q.text(1), q.text(2), q.text(3), q.integer(4), q.integer(5)};
}

// ---- writing ----

struct OsvDbWriter::Statements {
  explicit Statements(sqlite3* db)
      : delete_affected(db, "DELETE FROM affected WHERE advisory = ?1"),
        insert_advisory(db,
                        "INSERT OR REPLACE INTO advisories(id, origin, modified, published, withdrawn, "
                        "summary, details, aliases, severity, db_severity, cwes, refs) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        insert_affected(db, "INSERT INTO affected(ecosystem, name, advisory, data) VALUES(?1, ?2, ?3, ?4)"),
        delete_aliases(db, "DELETE FROM alias_of WHERE id = ?1"),
        insert_alias(db, "INSERT INTO alias_of(alias, id) VALUES(?1, ?2)") {}
  Stmt delete_affected;
  Stmt insert_advisory;
  Stmt insert_affected;
  Stmt delete_aliases;
  Stmt insert_alias;
};

OsvDbWriter::OsvDbWriter(const fs::path& dir) : dir_(dir) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw util::RuntimeError("cannot create OSV database folder " + dir_.string() + ": " + ec.message());
  std::random_device rd;
  temp_ = dir_ / ("osv.db.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  if (fs::exists(db_file(dir_))) {
    fs::copy_file(db_file(dir_), temp_, fs::copy_options::overwrite_existing, ec);
    if (ec) throw util::RuntimeError("cannot copy OSV database to " + temp_.string() + ": " + ec.message());
  }
  if (sqlite3_open_v2(temp_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fs::remove(temp_, ec);
    throw util::RuntimeError("cannot create OSV database " + temp_.string() + ": " + msg);
  }
  try {
    // The file is private until the rename: no journal needed; durability comes from fsync.
    exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;");
    exec(kSchema);
    Stmt fmt(db_, "SELECT value FROM meta WHERE key = 'format'");
    if (fmt.step() && fmt.text(0) != kFormat) {
      throw util::RuntimeError("OSV database " + db_file(dir_).string() +
                               " has an unknown format; remove it and import again");
    }
    exec("BEGIN");
    stmts_ = std::make_unique<Statements>(db_);
    backfill_aliases();
  } catch (...) {
    stmts_.reset();
    sqlite3_close(db_);
    db_ = nullptr;
    fs::remove(temp_, ec);
    throw;
  }
}

OsvDbWriter::~OsvDbWriter() {
  stmts_.reset();
  if (db_) sqlite3_close(db_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void OsvDbWriter::exec(const char* sql) { exec_sql(db_, sql); }

void OsvDbWriter::add(const OsvRecord& r, std::string_view origin) {
  stmts_->delete_affected.bind(1, r.id).run();
  stmts_->insert_advisory.bind(1, r.id)
      .bind(2, origin)
      .bind(3, r.modified)
      .bind(4, r.published)
      .bind(5, r.withdrawn)
      .bind(6, r.summary)
      .bind(7, std::string_view(r.details).substr(0, 2000))
      .bind(8, join_lines(r.aliases))
      .bind(9, encode_severity(r.severity))
      .bind(10, r.database_severity)
      .bind(11, join_lines(r.cwes))
      .bind(12, join_lines(r.references))
      .run();
  stmts_->delete_aliases.bind(1, r.id).run();
  for (const std::string& alias : r.aliases) stmts_->insert_alias.bind(1, alias).bind(2, r.id).run();
  for (const OsvAffected& a : r.affected) {
    std::string base(base_ecosystem(a.ecosystem));
    stmts_->insert_affected.bind(1, base)
        .bind(2, normalize_package_name(base, a.name))
        .bind(3, r.id)
        .bind(4, encode_affected(a))
        .run();
  }
}

void OsvDbWriter::remove_origin(std::string_view origin) {
  Stmt del_aff(db_, "DELETE FROM affected WHERE advisory IN (SELECT id FROM advisories WHERE origin = ?1)");
  del_aff.bind(1, origin).run();
  Stmt del_alias(db_, "DELETE FROM alias_of WHERE id IN (SELECT id FROM advisories WHERE origin = ?1)");
  del_alias.bind(1, origin).run();
  Stmt del_adv(db_, "DELETE FROM advisories WHERE origin = ?1");
  del_adv.bind(1, origin).run();
}

void OsvDbWriter::backfill_aliases() {
  // An index written before the alias table existed: fill it once from the advisories' aliases.
  Stmt any(db_, "SELECT 1 FROM alias_of LIMIT 1");
  if (any.step()) return;
  Stmt all(db_, "SELECT id, aliases FROM advisories WHERE aliases != ''");
  while (all.step()) {
    const std::string id = all.text(0);
    for (const std::string& alias : split_lines(all.text(1))) stmts_->insert_alias.bind(1, alias).bind(2, id).run();
  }
}

void OsvDbWriter::set_source(const SourceInfo& info) {
  Stmt q(db_,
         "INSERT OR REPLACE INTO sources(ecosystem, url, etag, last_modified, updated_at, records) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  q.bind(1, info.ecosystem).bind(2, info.url).bind(3, info.etag).bind(4, info.last_modified);
  q.bind(5, info.updated_at).bind(6, info.records).run();
}

std::vector<std::string> OsvDbWriter::ecosystems() const {
  Stmt q(db_, "SELECT DISTINCT ecosystem FROM affected ORDER BY ecosystem");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

void OsvDbWriter::commit() {
  {
    Stmt meta(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    meta.bind(1, std::string_view("format")).bind(2, std::string_view(kFormat)).run();
    meta.bind(1, std::string_view("built_at")).bind(2, std::to_string(now_seconds())).run();
  }
  stmts_.reset();
  exec("COMMIT");
  // Rows deleted by replacements leave free pages; compact so the file stays small.
  exec("VACUUM");
  if (sqlite3_close(db_) != SQLITE_OK) fail(db_, "close");
  db_ = nullptr;
  fsync_path(temp_, false);
  std::error_code ec;
  fs::rename(temp_, db_file(dir_), ec);
  if (ec) throw util::RuntimeError("cannot replace " + db_file(dir_).string() + ": " + ec.message());
  committed_ = true;
  fsync_path(dir_, true);
}

}  // namespace agent::controls::dependencies
