#include "agent/cli/history_scan.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "agent/checkout/git.h"
#include "agent/controls/secrets/secrets_control.h"
#include "agent/controls/secrets/verdict_cache.h"
#include "agent/util/glob.h"

namespace agent::cli {
namespace {
namespace secrets = controls::secrets;
using findings::Finding;
using Clock = std::chrono::steady_clock;

/// What one worker collects; merged once at the end.
struct WorkerState {
  std::unique_ptr<secrets::Scratch> scratch;
  std::vector<std::pair<Finding, std::uint32_t>> found;  // finding, commit index
  findings::ScanStats stats;
  std::atomic<std::uint64_t> blobs{0};
  std::atomic<std::uint64_t> bytes{0};
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

/// Reports progress from its own thread until stopped: a refreshed line on a terminal, else a
/// log line every 10 s (CI logs stay short).
class Progress {
 public:
  Progress(bool enabled, bool tty, checkout::HistoryCounters& walk, std::vector<std::unique_ptr<WorkerState>>& workers,
           const std::atomic<std::uint64_t>& cached)
      : tty_(tty), walk_(walk), workers_(workers), cached_(cached), start_(Clock::now()) {
    if (enabled) thread_ = std::thread([this] { loop(); });
  }
  ~Progress() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (tty_ && printed_) std::fputs("\r\033[K", stderr);
  }

 private:
  void loop() {
    const auto period = tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, period, [this] { return stopped_; })) print();
  }
  void print() {
    std::uint64_t blobs = 0, bytes = 0;
    for (auto& w : workers_) blobs += w->blobs.load(), bytes += w->bytes.load();
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = secs > 0 ? bytes / secs : 0;
    const std::uint64_t cached = cached_.load();
    std::string line = std::to_string(walk_.commits.load()) + " commits, " + std::to_string(blobs) + " blobs read";
    if (cached) line += " (" + std::to_string(cached) + " cached)";
    line += ", " + human_bytes(static_cast<double>(bytes)) + ", " + human_bytes(rate) + "/s";
    const std::uint64_t total = walk_.blobs.load();
    if (walk_.walk_done && blobs > 0 && total >= blobs + cached) {
      const double per_blob = secs / static_cast<double>(blobs);
      const double eta = per_blob * static_cast<double>(total - blobs - std::min(total - blobs, cached));
      line += ", " + std::to_string(total) + " in all, ETA " + std::to_string(static_cast<long>(eta + 0.5)) + " s";
    } else {
      line += ", walking the commits";
    }
    if (tty_) {
      std::fprintf(stderr, "\r\033[Khistory: %s", line.c_str());
      std::fflush(stderr);
      printed_ = true;
    } else {
      spdlog::info("history: {}", line);
    }
  }

  bool tty_;
  checkout::HistoryCounters& walk_;
  std::vector<std::unique_ptr<WorkerState>>& workers_;
  const std::atomic<std::uint64_t>& cached_;
  Clock::time_point start_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool printed_ = false;
};

void add(findings::ScanStats& into, const findings::ScanStats& s) {
  into.files_scanned += s.files_scanned;
  into.bytes_scanned += s.bytes_scanned;
  into.skipped_binary += s.skipped_binary;
  into.skipped_too_large += s.skipped_too_large;
  into.suppressed += s.suppressed;
}

}  // namespace

findings::ScanResult scan_history(const secrets::Engine& engine, const HistoryScanRequest& request) {
  findings::ScanResult result;
  result.start_time = std::chrono::system_clock::now();
  result.root = request.repository;
  checkout::RepositoryPtr repo = checkout::open_repository(request.repository);
  const std::string git_dir = git_repository_path(repo.get());
  auto keep = [&request](std::string_view path, bool is_dir) {
    for (const auto& g : request.excludes)
      if (util::glob_match(g, path, is_dir)) return false;
    return !request.keep_path || request.keep_path(path, is_dir);
  };
  checkout::HistoryWalk walk(repo.get(), request.range, keep);

  secrets::VerdictCache cache;
  if (!request.verdict_cache.empty())
    cache = secrets::VerdictCache::open(request.verdict_cache, engine.rules_hash(), result.warnings);
  const std::size_t oid_len = sizeof(git_oid::id);

  const unsigned jobs = std::max(1u, request.jobs);
  std::vector<std::unique_ptr<WorkerState>> workers;
  for (unsigned i = 0; i < jobs; ++i) {
    workers.push_back(std::make_unique<WorkerState>());
    workers.back()->scratch = engine.make_scratch();
  }
  std::atomic<std::uint64_t> cached{0};
  Progress progress(request.progress, request.progress_tty, walk.counters(), workers, cached);

  checkout::read_blobs(
      git_dir, jobs, request.max_file_size,
      [&](const std::function<bool(checkout::HistoryBlob&&)>& push) {
        walk.run([&](checkout::HistoryBlob&& blob) {
          if (cache.enabled() && cache.contains(blob.id.id, oid_len, engine.path_key(blob.path))) {
            cached.fetch_add(1, std::memory_order_relaxed);
            return true;
          }
          return push(std::move(blob));
        });
      },
      [&](unsigned index, const checkout::HistoryBlob& blob, std::string_view data) {
        WorkerState& w = *workers[index];
        w.blobs.fetch_add(1, std::memory_order_relaxed);
        w.bytes.fetch_add(data.size(), std::memory_order_relaxed);
        if (secrets::looks_binary(data)) {
          ++w.stats.skipped_binary;
          cache.add(blob.id.id, oid_len, engine.path_key(blob.path));
          return;
        }
        std::vector<Finding> found;
        engine.scan(data, blob.path, *w.scratch, found, w.stats);
        ++w.stats.files_scanned;
        w.stats.bytes_scanned += data.size();
        if (found.empty()) {
          cache.add(blob.id.id, oid_len, engine.path_key(blob.path));
          return;
        }
        const std::string blob_id = checkout::to_hex(blob.id);
        for (auto& f : found) {
          f.provenance = findings::CommitDetail{};
          f.provenance->blob = blob_id;
          w.found.emplace_back(std::move(f), blob.commit);
        }
      },
      [&](unsigned index, const checkout::HistoryBlob&, std::uint64_t) { ++workers[index]->stats.skipped_too_large; });
  progress.stop();
  cache.flush();

  // Attribution: each commit with findings is described once.
  std::map<std::uint32_t, checkout::CommitSummary> commits;
  for (auto& w : workers) {
    add(result.stats, w->stats);
    for (auto& [f, index] : w->found) {
      auto it = commits.find(index);
      if (it == commits.end()) it = commits.emplace(index, walk.describe(index)).first;
      const checkout::CommitSummary& c = it->second;
      f.commit = c.sha;
      f.provenance->author_name = c.author_name;
      f.provenance->author_email = c.author_email;
      f.provenance->date = c.date;
      f.provenance->summary = c.summary;
      result.findings.push_back(std::move(f));
    }
  }
  auto& counters = walk.counters();
  result.stats.commits_scanned = counters.commits.load();
  result.stats.blobs_cached = cached.load();
  result.stats.skipped_excluded += counters.pruned.load();
  if (git_oid head; git_reference_name_to_id(&head, repo.get(), "HEAD") == 0) result.commit_sha = checkout::to_hex(head);
  findings::sort_findings(result.findings);
  result.controls.emplace_back("secrets");
  result.end_time = std::chrono::system_clock::now();
  return result;
}

}  // namespace agent::cli
