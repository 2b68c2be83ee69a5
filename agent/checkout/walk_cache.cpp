#include "agent/checkout/walk_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "agent/util/fs.h"
#include "agent/util/hash.h"

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[] = "JITWALK1";
constexpr std::size_t kKeep = 4;
constexpr std::size_t kOid = sizeof(git_oid::id);

fs::path file_for(const fs::path& dir, const std::string& key) {
  return dir / ("walk-" + util::sha256_hex(key).substr(0, 16) + ".bin");
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_string(std::string& out, const std::string& s) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

/// Reads fixed-size values and strings from a buffer, failing (false) past its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool get(T& value) {
    if (data_.size() - pos_ < sizeof value) return false;
    std::memcpy(&value, data_.data() + pos_, sizeof value);
    pos_ += sizeof value;
    return true;
  }
  bool get_bytes(void* to, std::size_t n) {
    if (data_.size() - pos_ < n) return false;
    std::memcpy(to, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool get_string(std::string& s) {
    std::uint32_t n = 0;
    if (!get(n) || data_.size() - pos_ < n) return false;
    s.assign(data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<SavedWalk> load_walk(const fs::path& dir, const std::string& key) {
  const fs::path file = file_for(dir, key);
  std::error_code ec;
  if (dir.empty() || !fs::is_regular_file(file, ec)) return std::nullopt;
  std::string data;
  try {
    data = util::read_file(file);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  // Layout: payload, then the hex SHA-256 of the payload.
  if (data.size() < 64) return std::nullopt;
  const std::string_view payload(data.data(), data.size() - 64);
  if (util::sha256_hex(payload) != std::string_view(data).substr(data.size() - 64)) {
    spdlog::warn("history walk cache {} is damaged: walking again", file.string());
    return std::nullopt;
  }
  Reader r(payload);
  char magic[sizeof kMagic - 1];
  std::string saved_key;
  SavedWalk walk;
  std::uint64_t commits = 0, blobs = 0;
  std::uint32_t classes = 0;
  if (!r.get_bytes(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0) return std::nullopt;
  if (!r.get_string(saved_key) || saved_key != key) return std::nullopt;  // another walk with the same file name
  if (!r.get(commits) || commits > payload.size() / kOid) return std::nullopt;
  walk.commits.resize(commits);
  for (auto& c : walk.commits)
    if (!r.get_bytes(c.id, kOid)) return std::nullopt;
  if (!r.get(blobs) || blobs > payload.size() / kOid) return std::nullopt;
  walk.blobs.resize(blobs);
  for (auto& b : walk.blobs)
    if (!r.get_bytes(b.id.id, kOid) || !r.get(b.commit) || !r.get(b.path_class) || b.commit >= commits) return std::nullopt;
  if (!r.get(classes)) return std::nullopt;
  walk.class_paths.resize(classes);
  walk.class_keys.resize(classes);
  for (std::uint32_t i = 0; i < classes; ++i)
    if (!r.get_string(walk.class_paths[i]) || !r.get_string(walk.class_keys[i])) return std::nullopt;
  if (!r.at_end()) return std::nullopt;
  for (const auto& b : walk.blobs)
    if (b.path_class >= classes) return std::nullopt;
  fs::last_write_time(file, fs::file_time_type::clock::now(), ec);  // recently used: kept longest
  return walk;
}

void save_walk(const fs::path& dir, const std::string& key, const SavedWalk& walk) {
  if (dir.empty()) return;
  std::string out(kMagic, sizeof kMagic - 1);
  put_string(out, key);
  put<std::uint64_t>(out, walk.commits.size());
  for (const auto& c : walk.commits) out.append(reinterpret_cast<const char*>(c.id), kOid);
  put<std::uint64_t>(out, walk.blobs.size());
  for (const auto& b : walk.blobs) {
    out.append(reinterpret_cast<const char*>(b.id.id), kOid);
    put(out, b.commit);
    put(out, b.path_class);
  }
  put<std::uint32_t>(out, static_cast<std::uint32_t>(walk.class_paths.size()));
  for (std::size_t i = 0; i < walk.class_paths.size(); ++i) {
    put_string(out, walk.class_paths[i]);
    put_string(out, i < walk.class_keys.size() ? walk.class_keys[i] : std::string());
  }
  out += util::sha256_hex(out);
  try {
    fs::create_directories(dir);
    util::write_file_atomic(file_for(dir, key), out);
    // Bounded: the most recently used walks stay.
    std::vector<std::pair<fs::file_time_type, fs::path>> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind("walk-", 0) == 0) files.emplace_back(e.last_write_time(), e.path());
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = kKeep; i < files.size(); ++i) fs::remove(files[i].second);
  } catch (const std::exception& e) {
    spdlog::warn("cannot save the history walk in {}: {}", dir.string(), e.what());
  }
}

}  // namespace agent::checkout
