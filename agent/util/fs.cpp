#include "agent/util/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/util/error.h"

namespace agent::util {
namespace fs = std::filesystem;

namespace {

/// Writes all of `content` to `fd`; false with errno set on failure.
bool write_all(int fd, std::string_view content) {
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content) {
  std::error_code ec;
  // /dev/null, /dev/stdout, a FIFO: write in place. Renaming a temp file over them would replace
  // a device node with a regular file.
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw RuntimeError(path.string() + ": cannot write: " + std::strerror(errno));
    bool ok = write_all(fd, content);
    int err = errno;
    ::close(fd);
    if (!ok) throw RuntimeError(path.string() + ": cannot write: " + std::strerror(err));
    return;
  }
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError(path.string() + ": cannot write: " + std::strerror(errno));
  if (!write_all(fd, content)) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw RuntimeError(path.string() + ": cannot write: " + std::strerror(err));
  }
  ::fsync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw RuntimeError(path.string() + ": cannot write: " + std::strerror(err));
  }
}

bool is_regular_file_within(const fs::path& root, const fs::path& relative) {
  std::error_code ec;
  const fs::path file = root / relative;
  if (!fs::is_regular_file(fs::symlink_status(file, ec)) || ec) return false;
  const fs::path real_root = fs::weakly_canonical(root, ec);
  if (ec) return false;
  const fs::path real = fs::weakly_canonical(file, ec);
  if (ec) return false;
  const fs::path inside = real.lexically_relative(real_root);
  return !inside.empty() && *inside.begin() != ".." && *inside.begin() != ".";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError(path.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw RuntimeError(path.string() + ": read error");
  return ss.str();
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(text[i++] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string unit(text.substr(i));
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (unit.empty() || unit == "b") shift = 0;
  else if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  else return std::nullopt;
  if (shift && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::string format_size(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

TempDir::TempDir(const std::filesystem::path& base, std::string_view prefix) {
  std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw RuntimeError("cannot create a temporary folder like " + pattern + ": " + std::strerror(errno));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace agent::util
