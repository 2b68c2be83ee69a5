#include "agent/controls/secrets/database.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "agent/util/error.h"
#include "agent/util/hash.h"

namespace agent::controls::secrets {
namespace fs = std::filesystem;
namespace {

// File layout: magic, the cache key (hex SHA-256 of the expressions etc.: a file copied under
// another name is refused), hex SHA-256 of the payload (a damaged file is refused), payload.
constexpr std::string_view kMagic = "JITHSDB2";
constexpr std::size_t kHashLen = 64;
constexpr std::size_t kHeader = kMagic.size() + 2 * kHashLen;
constexpr std::size_t kKeepDatabases = 8;  // newest cache files kept; older rule sets are pruned

struct CompileErrorFree {
  void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};
struct MallocFree {
  void operator()(char* p) const { std::free(p); }
};

std::string cache_key(const std::vector<HsExpression>& exprs, const std::vector<unsigned>& ids) {
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  std::string text = "jit-agent hsdb v1\n";
  text += hs_version();
  text += "\ntune=" + std::to_string(platform.tune) + " cpu=" + std::to_string(platform.cpu_features) +
          " ptr=" + std::to_string(sizeof(void*)) + "\n";
  for (std::size_t i = 0; i < exprs.size(); ++i)
    text += (ids.empty() ? "" : std::to_string(ids[i]) + '\t') + std::to_string(exprs[i].flags) + '\t' +
            exprs[i].expression + '\n';
  return util::sha256_hex(text);
}

Database compile(const std::vector<HsExpression>& exprs, const std::vector<unsigned>& match_ids,
                 const DescribeError& describe, std::size_t& prefiltered) {
  std::vector<unsigned> flags(exprs.size()), ids(exprs.size());
  std::vector<const char*> patterns(exprs.size());
  std::string errors;
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    patterns[i] = exprs[i].expression.c_str();
    ids[i] = match_ids.empty() ? static_cast<unsigned>(i) : match_ids[i];
    flags[i] = exprs[i].flags;
    // A cheap check of each expression first: every rejected pattern is reported at once, and
    // the prefilter choice is made before the (expensive) multi-pattern compile.
    HsCheck check = hs_check(exprs[i]);
    if (!check.error.empty()) errors += (errors.empty() ? "" : "\n") + describe(i, check.error);
    if (check.prefilter) flags[i] |= HS_FLAG_PREFILTER;
  }
  if (!errors.empty()) throw util::UsageError(errors);
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  // Some limits (pattern too large) only show in the full compile: retry that expression in
  // prefilter mode, at most once per expression.
  for (std::size_t attempt = 0; attempt <= exprs.size(); ++attempt) {
    hs_database_t* db = nullptr;
    hs_compile_error_t* raw_err = nullptr;
    hs_error_t rc = hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                                     static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, &platform, &db, &raw_err);
    std::unique_ptr<hs_compile_error_t, CompileErrorFree> err(raw_err);
    if (rc == HS_SUCCESS) {
      prefiltered = 0;
      for (unsigned f : flags) prefiltered += (f & HS_FLAG_PREFILTER) ? 1 : 0;
      return Database(db);
    }
    std::string message = err && err->message ? err->message : "compile failed";
    int index = err ? err->expression : -1;
    if (index < 0) throw util::RuntimeError("Vectorscan could not compile the rules: " + message);
    auto i = static_cast<std::size_t>(index);
    if (flags[i] & HS_FLAG_PREFILTER) throw util::UsageError(describe(i, message));
    flags[i] |= HS_FLAG_PREFILTER;
  }
  throw util::RuntimeError("Vectorscan could not compile the rules");
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Database load_cached(const fs::path& file, const std::string& key) {
  std::string bytes = read_file(file);
  if (bytes.empty()) return {};
  if (bytes.size() < kHeader || bytes.compare(0, kMagic.size(), kMagic) != 0 ||
      bytes.compare(kMagic.size(), kHashLen, key) != 0) {
    spdlog::debug("rule database cache {}: bad header, rebuilding", file.string());
    return {};
  }
  std::string_view payload(bytes.data() + kHeader, bytes.size() - kHeader);
  if (util::sha256_hex(payload) != std::string_view(bytes.data() + kMagic.size() + kHashLen, kHashLen)) {
    spdlog::debug("rule database cache {}: checksum mismatch, rebuilding", file.string());
    return {};
  }
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(payload.data(), payload.size(), &db) != HS_SUCCESS) {
    spdlog::debug("rule database cache {}: Vectorscan cannot load it, rebuilding", file.string());
    return {};
  }
  return Database(db);
}

void store_cached(const Database& db, const fs::path& dir, const fs::path& file, const std::string& key) {
  char* raw = nullptr;
  std::size_t size = 0;
  if (hs_serialize_database(db.get(), &raw, &size) != HS_SUCCESS) return;
  std::unique_ptr<char, MallocFree> bytes(raw);
  std::error_code ec;
  fs::create_directories(dir, ec);
  // A unique temporary name, then rename: readers never see half a file, and concurrent
  // writers of the same key each rename a complete file.
  std::random_device rd;
  fs::path tmp = dir / (file.filename().string() + ".tmp." + std::to_string(getpid()) + "." +
                        std::to_string(rd()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::string_view payload(bytes.get(), size);
    out << kMagic << key << util::sha256_hex(payload) << payload;
    out.close();
    if (!out) {
      spdlog::debug("cannot write rule database cache {}", tmp.string());
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    spdlog::debug("cannot store rule database cache {}: {}", file.string(), ec.message());
    fs::remove(tmp, ec);
  }
}

// Each edit of the rules adds a database of several hundred KiB: keep only the newest few.
void prune_cache(const fs::path& dir, const fs::path& keep) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".hsdb" && it->path() != keep)
      files.emplace_back(it->last_write_time(ec), it->path());
  if (files.size() < kKeepDatabases) return;
  std::sort(files.begin(), files.end(), std::greater<>());
  for (std::size_t i = kKeepDatabases - 1; i < files.size(); ++i) fs::remove(files[i].second, ec);
}

}  // namespace

HsScratch::HsScratch(const Database& db) {
  if (hs_alloc_scratch(db.get(), &scratch_) != HS_SUCCESS)
    throw util::RuntimeError("Vectorscan could not allocate scratch space");
}

void HsScratch::extend(const Database& db) {
  if (hs_alloc_scratch(db.get(), &scratch_) != HS_SUCCESS)
    throw util::RuntimeError("Vectorscan could not allocate scratch space");
}

BuiltDatabase build_database(const std::vector<HsExpression>& exprs, const fs::path& cache_dir,
                             const DescribeError& describe, const std::vector<unsigned>& ids) {
  BuiltDatabase out;
  fs::path file;
  std::string key;
  if (!cache_dir.empty()) {
    key = cache_key(exprs, ids);
    file = cache_dir / (key + ".hsdb");
    out.db = load_cached(file, key);
    if (out.db.get()) {
      out.from_cache = true;
      return out;
    }
  }
  out.db = compile(exprs, ids, describe, out.prefiltered);
  if (!cache_dir.empty()) {
    store_cached(out.db, cache_dir, file, key);
    prune_cache(cache_dir, file);
  }
  return out;
}

}  // namespace agent::controls::secrets
