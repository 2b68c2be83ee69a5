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
#include <optional>
#include <thread>

#include "agent/checkout/git.h"
#include "agent/checkout/pack_order.h"
#include "agent/checkout/walk_cache.h"
#include "agent/controls/secrets/secrets_control.h"
#include "agent/controls/secrets/verdict_cache.h"
#include "agent/job/combine.h"
#include "agent/util/glob.h"

namespace agent::cli {
namespace {
namespace secrets = controls::secrets;
using findings::Finding;
using Clock = std::chrono::steady_clock;

/// A blob to read: 40 bytes, whatever its path (the path is found again for the few with findings).
struct Task {
  git_oid id;
  std::uint64_t pack_key;   // where it lies in the packs (PackOrder)
  std::uint32_t commit;     // the commit that introduced it
  std::uint16_t path_class; // which path-restricted rules apply at its path
  bool values_only = false; // the cache knows it free of rule findings: only the exact values are looked for
};

/// What one worker collects; merged once at the end.
struct WorkerState {
  std::unique_ptr<secrets::Scratch> scratch;
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
  /// The walk is over: `total` blobs are to be read from now on.
  void reading(std::uint64_t total) {
    std::lock_guard lock(mutex_);
    total_ = total;
    read_start_ = Clock::now();
  }
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
    const bool reading = read_start_ != Clock::time_point{};
    const double secs = std::chrono::duration<double>(Clock::now() - (reading ? read_start_ : start_)).count();
    const double rate = secs > 0 ? static_cast<double>(bytes) / secs : 0;
    const std::uint64_t cached = cached_.load();
    std::string line;
    const std::uint64_t total = total_;
    if (!reading) {
      line = "walking the commits: " + std::to_string(walk_.commits.load()) + " commits, " +
             std::to_string(walk_.blobs.load()) + " blobs";
    } else {
      line = std::to_string(blobs) + " of " + std::to_string(total) + " blobs read";
      if (cached) line += " (" + std::to_string(cached) + " more cached)";
      line += ", " + human_bytes(static_cast<double>(bytes)) + ", " + human_bytes(rate) + "/s";
      if (blobs > 0 && total > blobs) {
        const double eta = secs / static_cast<double>(blobs) * static_cast<double>(total - blobs);
        line += ", ETA " + std::to_string(static_cast<long>(eta + 0.5)) + " s";
      }
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
  std::uint64_t total_ = 0;      // blobs to read, once the walk has listed them
  Clock::time_point start_;
  Clock::time_point read_start_{};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool printed_ = false;
};

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

  // 1. One walk of the commit graph: the new blobs' ids, their commits and path classes (which
  //    path-restricted rules apply), nothing more per blob. A blob the cache knows is left out.
  //    Class 0 is "no path rule applies" (most paths), scanned under the empty path.
  std::vector<std::string> class_paths{""};  // a path of each class: the engine's findings are the same for all
  std::vector<std::string> class_keys{""};
  std::map<std::string, std::uint16_t> classes{{"", 0}};
  // The same history (same commits, pruning and rules) scanned again needs no walk.
  std::string walk_key;
  if (!request.walk_cache.empty() && !request.keep_path) {
    walk_key = "walk v1|" + walk.range_key() + "|rules:" + engine.rules_hash() + "|excludes:";
    for (const auto& g : request.excludes) walk_key += g + "\n";
  }
  std::vector<checkout::WalkedBlob> walked;
  if (auto saved = walk_key.empty() ? std::nullopt : checkout::load_walk(request.walk_cache, walk_key)) {
    walk.restore(std::move(saved->commits));
    walked = std::move(saved->blobs);
    class_paths = std::move(saved->class_paths);
    class_keys = std::move(saved->class_keys);
    spdlog::debug("history: the walk of these {} commits is known (walk cache)", walk.commits().size());
  } else {
    walked = walk.run([&](std::string_view path) -> std::uint16_t {
      std::string key = engine.path_key(path);
      if (key.empty()) return 0;
      auto [it, added] = classes.emplace(std::move(key), static_cast<std::uint16_t>(class_paths.size()));
      if (added) {
        class_paths.emplace_back(path);
        class_keys.push_back(it->first);
      }
      return it->second;
    });
    if (!walk_key.empty()) checkout::save_walk(request.walk_cache, walk_key, {walk.commits(), walked, class_paths, class_keys});
  }
  std::vector<Task> tasks;
  tasks.reserve(walked.size());
  for (const auto& b : walked) {
    if (cache.enabled() && cache.contains(b.id.id, oid_len, class_keys[b.path_class])) {
      cached.fetch_add(1, std::memory_order_relaxed);
      // The cache speaks for the rules only: the job's CI/CD variable values are looked for anyway.
      if (engine.exact_values()) tasks.push_back(Task{b.id, 0, b.commit, b.path_class, true});
      continue;
    }
    tasks.push_back(Task{b.id, 0, b.commit, b.path_class});
  }
  walked = {};
  // 2. Pack order: deltas next to their bases, the disk read forwards.
  {
    checkout::PackOrder order(git_dir);
    for (auto& t : tasks) t.pack_key = order.key(t.id);
    std::sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) { return a.pack_key < b.pack_key; });
  }
  progress.reading(tasks.size());

  // 3. Every blob read once, on every core; clean ones recorded in the cache.
  std::mutex warn_mutex;
  std::vector<std::string> unreadable;
  std::vector<std::vector<std::size_t>> hits(jobs);  // tasks whose blob has findings
  checkout::BlobReader reader;
  reader.consume = [&](unsigned index, std::size_t i, std::string_view data) {
    WorkerState& w = *workers[index];
    const Task& t = tasks[i];
    w.blobs.fetch_add(1, std::memory_order_relaxed);
    w.bytes.fetch_add(data.size(), std::memory_order_relaxed);
    if (secrets::looks_binary(data)) {
      if (t.values_only) return;
      ++w.stats.skipped_binary;
      cache.add(t.id.id, oid_len, class_keys[t.path_class]);
      return;
    }
    std::vector<Finding> found;
    if (t.values_only) {
      engine.scan_values(data, class_paths[t.path_class], *w.scratch, found);
      if (!found.empty()) hits[index].push_back(i);
      return;
    }
    findings::ScanStats ignored;
    engine.scan(data, class_paths[t.path_class], *w.scratch, found, ignored);
    ++w.stats.files_scanned;
    w.stats.bytes_scanned += data.size();
    if (found.empty()) {
      w.stats.suppressed += ignored.suppressed;
      cache.add(t.id.id, oid_len, class_keys[t.path_class]);
    } else {
      hits[index].push_back(i);
    }
  };
  reader.too_large = [&](unsigned index, std::size_t, std::uint64_t) { ++workers[index]->stats.skipped_too_large; };
  reader.unreadable = [&](unsigned index, std::size_t i, const std::string& message) {
    ++workers[index]->stats.unreadable;
    std::lock_guard lock(warn_mutex);
    if (unreadable.size() < 10) unreadable.push_back(checkout::to_hex(tasks[i].id) + ": " + message);
  };
  checkout::read_blobs(git_dir, jobs, request.max_file_size, tasks.size(),
                       [&tasks](std::size_t i) -> const git_oid& { return tasks[i].id; }, reader);
  progress.stop();
  cache.flush();

  // 4. The few blobs with findings: scanned again under the path the introducing commit gives
  //    them, so paths and fingerprints are exactly a tree scan's; attributed to that commit.
  git_odb* raw_odb = nullptr;
  checkout::check(git_repository_odb(&raw_odb, repo.get()), "object database of " + git_dir);
  checkout::OdbPtr odb(raw_odb);
  auto scratch = engine.make_scratch();
  std::map<std::uint32_t, checkout::CommitSummary> commits;
  for (auto& w : workers) job::add_stats(result.stats, w->stats);
  for (const auto& list : hits)
    for (std::size_t i : list) {
      const Task& t = tasks[i];
      std::string path = walk.find_path(t.commit, t.id);
      if (path.empty()) path = class_paths[t.path_class].empty() ? checkout::to_hex(t.id) : class_paths[t.path_class];
      git_odb_object* obj = nullptr;
      checkout::check(git_odb_read(&obj, odb.get(), &t.id), "history: blob " + checkout::to_hex(t.id));
      checkout::OdbObjectPtr owned(obj);
      std::vector<Finding> found;
      engine.scan({static_cast<const char*>(git_odb_object_data(obj)), git_odb_object_size(obj)}, path, *scratch,
                  found, result.stats);
      auto it = commits.find(t.commit);
      if (it == commits.end()) it = commits.emplace(t.commit, walk.describe(t.commit)).first;
      const checkout::CommitSummary& c = it->second;
      for (auto& f : found) {
        f.commit = c.sha;
        f.provenance = findings::CommitDetail{c.author_name, c.author_email, c.date, c.summary, checkout::to_hex(t.id)};
        result.findings.push_back(std::move(f));
      }
    }
  for (const auto& u : unreadable) result.warnings.push_back("history: cannot read blob " + u);
  if (result.stats.unreadable > unreadable.size())
    result.warnings.push_back("history: " + std::to_string(result.stats.unreadable - unreadable.size()) +
                              " more blobs could not be read (a partial clone?)");
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
