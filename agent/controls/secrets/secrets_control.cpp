#include "agent/controls/secrets/secrets_control.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace agent::controls::secrets {
namespace {

constexpr std::size_t kBinaryProbe = 8 << 10;   // NUL in this prefix: a binary file
constexpr std::size_t kMapThreshold = 1 << 20;  // larger files are mapped, not copied

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class Mapping {
 public:
  Mapping(int fd, std::size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const char*>(p);
      ::madvise(p, size, MADV_SEQUENTIAL);
    }
  }
  ~Mapping() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const char* data() const { return data_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_;
};

// What one worker collects; merged once at the end so workers never contend.
struct WorkerResult {
  std::vector<findings::Finding> findings;
  findings::ScanStats stats;
  std::vector<std::pair<std::string, std::string>> warnings;  // (path, message) for ordering
};

void add(findings::ScanStats& into, const findings::ScanStats& s) {
  into.files_scanned += s.files_scanned;
  into.bytes_scanned += s.bytes_scanned;
  into.skipped_binary += s.skipped_binary;
  into.skipped_too_large += s.skipped_too_large;
  into.skipped_excluded += s.skipped_excluded;
  into.skipped_symlinks += s.skipped_symlinks;
  into.unreadable += s.unreadable;
  into.suppressed += s.suppressed;
}

bool read_all(int fd, char* buf, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = 0;  // end of file: the file shrank
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

class Worker {
 public:
  Worker(const Engine& engine, const ScanInput& input, WorkerResult& result)
      : engine_(engine), input_(input), r_(result), scratch_(engine.make_scratch()) {}

  void scan(const FileEntry& file) {
    if (file.size > input_.max_file_size) {
      ++r_.stats.skipped_too_large;
      return;
    }
    Fd fd(::open(file.abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
      if (errno == ELOOP) ++r_.stats.skipped_symlinks;
      else unreadable(file, std::strerror(errno));
      return;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return unreadable(file, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return unreadable(file, "not a regular file");
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > input_.max_file_size) {
      ++r_.stats.skipped_too_large;
      return;
    }
    std::string_view data;
    std::unique_ptr<Mapping> mapping;
    if (size > kMapThreshold) {
      mapping = std::make_unique<Mapping>(fd.get(), size);
      if (!mapping->data()) return unreadable(file, std::strerror(errno));
      data = {mapping->data(), size};
    } else {
      if (buffer_.size() < size) buffer_.resize(std::max(size, buffer_.size() * 2));
      if (!read_all(fd.get(), buffer_.data(), size))
        return unreadable(file, errno ? std::strerror(errno) : "file shrank while reading");
      data = {buffer_.data(), size};
    }
    if (looks_binary(data)) {
      ++r_.stats.skipped_binary;
      return;
    }
    const std::size_t first = r_.findings.size();
    engine_.scan(data, file.path, *scratch_, r_.findings, r_.stats);
    for (std::size_t i = first; i < r_.findings.size(); ++i) r_.findings[i].commit = input_.commit_sha;
    ++r_.stats.files_scanned;
    r_.stats.bytes_scanned += size;
  }

 private:
  void unreadable(const FileEntry& file, const std::string& why) {
    ++r_.stats.unreadable;
    r_.warnings.emplace_back(file.path, "secrets: cannot read " + file.path + ": " + why);
  }

  const Engine& engine_;
  const ScanInput& input_;
  WorkerResult& r_;
  std::unique_ptr<Scratch> scratch_;
  std::vector<char> buffer_;
};

}  // namespace

bool looks_binary(std::string_view data) {
  return std::memchr(data.data(), '\0', std::min(data.size(), kBinaryProbe)) != nullptr;
}

SecretsControl::SecretsControl(Engine engine) : engine_(std::move(engine)) {}

void SecretsControl::run(const ScanInput& input, findings::ScanResult& out) {
  const std::size_t jobs = std::clamp<std::size_t>(input.jobs, 1, std::max<std::size_t>(1, input.files.size()));
  std::vector<WorkerResult> results(jobs);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](std::size_t index) {
    try {
      Worker worker(engine_, input, results[index]);
      for (std::size_t i; !failed && (i = next.fetch_add(1, std::memory_order_relaxed)) < input.files.size();)
        worker.scan(input.files[i]);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < jobs; ++t) threads.emplace_back(work, t);
  work(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);

  std::vector<findings::Finding> found;
  std::vector<std::pair<std::string, std::string>> warnings;
  for (auto& r : results) {
    std::move(r.findings.begin(), r.findings.end(), std::back_inserter(found));
    std::move(r.warnings.begin(), r.warnings.end(), std::back_inserter(warnings));
    add(out.stats, r.stats);
  }
  findings::sort_findings(found);
  std::sort(warnings.begin(), warnings.end());
  std::move(found.begin(), found.end(), std::back_inserter(out.findings));
  for (auto& w : warnings) out.warnings.push_back(std::move(w.second));
  if (std::find(out.controls.begin(), out.controls.end(), "secrets") == out.controls.end())
    out.controls.emplace_back("secrets");
}

}  // namespace agent::controls::secrets
