#include "agent/cli/history_scan.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
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
#include "agent/util/error.h"
#include "agent/util/glob.h"

namespace agent::cli {
namespace {
namespace secrets = controls::secrets;
using findings::Finding;
using Clock = std::chrono::steady_clock;

/// A blob to read: 40 bytes, whatever its path (the path is found again for the few with findings).
struct Task {
  git_oid id;
  std::uint64_t pack_key = 0;    // where it lies in the packs (PackOrder)
  std::uint32_t commit = 0;      // the commit that introduced it
  std::uint16_t path_class = 0;  // which path-restricted rules apply at its path
  bool values_only = false;      // the cache knows it free of rule findings: only the exact values are looked for
  bool skip = false;             // the cache knows it free of findings: not read at all
  bool text = false;             // read, and scanned as text
};

/// The tasks of a scan, appended while reading threads take them: a fixed table of segments, so
/// that a published task never moves and is read without a lock. A history walk publishes the
/// blobs it meets in batches sorted by pack order, while the readers work through earlier ones.
class TaskStream {
 public:
  TaskStream() : segments_(std::make_unique<std::unique_ptr<Task[]>[]>(kMaxSegments)) {}

  /// Appends `batch` and wakes the readers (one producer thread).
  void publish(const std::vector<Task>& batch) {
    {
      std::lock_guard lock(mutex_);
      for (const Task& t : batch) {
        if (count_ == kSegment * kMaxSegments) throw util::RuntimeError("history: more than 2^32 blobs");
        auto& segment = segments_[count_ >> kSegmentBits];
        if (!segment) segment = std::make_unique<Task[]>(kSegment);
        segment[count_ & (kSegment - 1)] = t;
        ++count_;
        if (!t.skip) ++to_read_;
      }
    }
    cv_.notify_all();
  }
  /// At most `readers` threads read while the producer is still publishing (the walk has a core
  /// of its own then); every thread reads once it closes.
  void limit_while_open(unsigned readers) {
    std::lock_guard lock(mutex_);
    limit_ = std::max(1u, readers);
  }
  /// No task follows: the readers finish the published ones and stop.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  /// Stops the readers (a failure): take() returns false from now on.
  void abort() {
    {
      std::lock_guard lock(mutex_);
      aborted_ = true;
    }
    cv_.notify_all();
  }
  /// The next published tasks not to skip (at most kChunk of them), waiting for the producer
  /// while none is ready; false once closed and every task handed out, or aborted.
  bool take(std::vector<std::pair<std::size_t, git_oid>>& chunk) {
    chunk.clear();
    std::unique_lock lock(mutex_);
    if (reading_here_ == this) {  // the chunk this thread took before is done
      reading_here_ = nullptr;
      --active_;
      cv_.notify_all();
    }
    for (;;) {
      cv_.wait(lock, [this] { return aborted_ || closed_ || (next_ < count_ && active_ < limit_); });
      if (aborted_) return false;
      while (next_ < count_ && chunk.size() < kChunk) {
        const Task& t = at(next_);
        if (!t.skip) chunk.emplace_back(next_, t.id);
        ++next_;
      }
      if (!chunk.empty()) {
        reading_here_ = this;
        ++active_;
        return true;
      }
      if (closed_ && next_ == count_) return false;
    }
  }
  /// Task `i` (published; a reader only touches the tasks it took).
  Task& at(std::size_t i) { return segments_[i >> kSegmentBits][i & (kSegment - 1)]; }
  /// The tasks published (once the producer is done).
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  /// Those of them to read (not skipped).
  std::size_t to_read() {
    std::lock_guard lock(mutex_);
    return to_read_;
  }

 private:
  // Neighbours in pack order share delta bases: each thread takes a run of them at a time.
  static constexpr std::size_t kChunk = 64;
  static constexpr std::size_t kSegmentBits = 16, kSegment = std::size_t{1} << kSegmentBits;
  static constexpr std::size_t kMaxSegments = std::size_t{1} << 16;
  std::unique_ptr<std::unique_ptr<Task[]>[]> segments_;
  std::size_t count_ = 0;  // published
  std::size_t to_read_ = 0;
  std::size_t next_ = 0;   // handed out
  bool closed_ = false;
  bool aborted_ = false;
  unsigned limit_ = UINT_MAX;  // readers at once while open
  unsigned active_ = 0;        // threads reading a chunk they took
  static thread_local TaskStream* reading_here_;
  std::mutex mutex_;
  std::condition_variable cv_;
};
thread_local TaskStream* TaskStream::reading_here_ = nullptr;

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
    // Blobs read while the walk went on count as read, not into the rate from now on.
    base_blobs_ = base_bytes_ = 0;
    for (auto& w : workers_) base_blobs_ += w->blobs.load(), base_bytes_ += w->bytes.load();
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
    const std::uint64_t since = reading ? bytes - base_bytes_ : bytes;  // read in this phase
    const double rate = secs > 0 ? static_cast<double>(since) / secs : 0;
    const std::uint64_t cached = cached_.load();
    std::string line;
    const std::uint64_t total = total_;
    if (!reading) {
      line = "walking the commits: " + std::to_string(walk_.commits.load()) + " commits, " +
             std::to_string(walk_.blobs.load()) + " blobs";
      if (blobs > 0) line += ", " + std::to_string(blobs) + " read (" + human_bytes(static_cast<double>(bytes)) + ")";
    } else {
      line = std::to_string(blobs) + " of " + std::to_string(total) + " blobs read";
      if (cached) line += " (" + std::to_string(cached) + " more cached)";
      line += ", " + human_bytes(static_cast<double>(bytes)) + ", " + human_bytes(rate) + "/s";
      if (blobs > base_blobs_ && total > blobs) {
        const double eta = secs / static_cast<double>(blobs - base_blobs_) * static_cast<double>(total - blobs);
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
  std::uint64_t base_blobs_ = 0, base_bytes_ = 0;  // read during the walk
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
  //    path-restricted rules apply), nothing more per blob. A blob the cache knows is not read.
  //    Class 0 is "no path rule applies" (most paths), scanned under the empty path.
  std::vector<std::string> class_paths{""};  // a path of each class: the engine's findings are the same for all
  std::vector<std::string> class_keys{""};
  std::map<std::string, std::uint16_t> classes{{"", 0}};
  // Readers look classes up while the walk adds more: the tables never reallocate (a class id is
  // 16 bits), and a class is added before any task naming it is published.
  constexpr std::size_t kMaxClasses = std::size_t{1} << 16;
  class_paths.reserve(kMaxClasses);
  class_keys.reserve(kMaxClasses);
  // The same history (same commits, pruning and rules) scanned again needs no walk.
  std::string walk_key;
  if (!request.walk_cache.empty() && !request.keep_path) {
    walk_key = "walk v1|" + walk.range_key() + "|rules:" + engine.rules_hash() + "|excludes:";
    for (const auto& g : request.excludes) walk_key += g + "\n";
  }
  // Whether the cache knows task `t` (under its path class): then it is not read at all, or only
  // for the job's CI/CD variable values, which the cache does not speak for.
  auto apply_cache = [&](Task& t) {
    t.skip = t.values_only = false;
    if (!cache.enabled() || !cache.contains(t.id.id, oid_len, class_keys[t.path_class])) return false;
    (engine.exact_values() ? t.values_only : t.skip) = true;
    return true;
  };

  // 2. Every blob read once, on every core, in pack order (deltas next to their bases, the disk
  //    read forwards); clean ones recorded in the cache. A fresh walk hands its blobs out as it
  //    meets them, in batches sorted by pack order, so reading overlaps walking.
  TaskStream tasks;
  std::mutex warn_mutex;
  std::vector<std::string> unreadable;
  std::vector<std::vector<std::size_t>> hits(jobs);  // tasks whose blob has findings
  bool counting = true;  // the second round (below) counts only the blobs the first did not read
  checkout::BlobReader reader;
  reader.consume = [&](unsigned index, std::size_t i, std::string_view data) {
    WorkerState& w = *workers[index];
    Task& t = tasks.at(i);
    const bool count = counting || !t.text;
    if (count) {
      w.blobs.fetch_add(1, std::memory_order_relaxed);
      w.bytes.fetch_add(data.size(), std::memory_order_relaxed);
    }
    if (secrets::looks_binary(data)) {
      if (t.values_only) return;
      if (count) ++w.stats.skipped_binary;
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
    if (count) {
      ++w.stats.files_scanned;
      w.stats.bytes_scanned += data.size();
    }
    t.text = true;
    if (found.empty()) {
      if (count) w.stats.suppressed += ignored.suppressed;
      cache.add(t.id.id, oid_len, class_keys[t.path_class]);
    } else {
      hits[index].push_back(i);
    }
  };
  reader.too_large = [&](unsigned index, std::size_t, std::uint64_t) { ++workers[index]->stats.skipped_too_large; };
  reader.unreadable = [&](unsigned index, std::size_t i, const std::string& message) {
    ++workers[index]->stats.unreadable;
    std::lock_guard lock(warn_mutex);
    if (unreadable.size() < 10) unreadable.push_back(checkout::to_hex(tasks.at(i).id) + ": " + message);
  };
  checkout::PackOrder order(git_dir);
  std::exception_ptr read_error;  // set by the reading thread before it ends
  std::atomic<bool> read_failed{false};
  std::thread reading([&] {
    try {
      checkout::read_blob_stream(git_dir, jobs, request.max_file_size,
                                 [&tasks](std::vector<std::pair<std::size_t, git_oid>>& chunk) { return tasks.take(chunk); },
                                 reader, [&tasks] { tasks.abort(); });
    } catch (...) {
      read_error = std::current_exception();
      read_failed = true;
      tasks.abort();
    }
  });
  // The reading thread is joined on every way out; a failed walk stops it first.
  struct Join {
    TaskStream& tasks;
    std::thread& thread;
    ~Join() {
      if (!thread.joinable()) return;
      tasks.abort();
      thread.join();
    }
  } join{tasks, reading};

  std::vector<checkout::WalkedBlob> walked;
  bool streamed = false;  // the tasks hold each blob's first introduction, not yet its oldest
  if (auto saved = walk_key.empty() ? std::nullopt : checkout::load_walk(request.walk_cache, walk_key)) {
    walk.restore(std::move(saved->commits));
    walked = std::move(saved->blobs);
    class_paths = std::move(saved->class_paths);
    class_keys = std::move(saved->class_keys);
    spdlog::debug("history: the walk of these {} commits is known (walk cache)", walk.commits().size());
    std::vector<Task> all;
    all.reserve(walked.size());
    for (const auto& b : walked) {
      Task t{b.id, order.key(b.id), b.commit, b.path_class};
      if (apply_cache(t)) cached.fetch_add(1, std::memory_order_relaxed);
      all.push_back(t);
    }
    std::sort(all.begin(), all.end(), [](const Task& a, const Task& b) { return a.pack_key < b.pack_key; });
    tasks.publish(all);
  } else {
    streamed = true;
    // The walk is one thread and the longest part: while it runs, the readers leave it a core.
    tasks.limit_while_open(jobs > 1 ? jobs - 1 : 1);
    // Large enough for pack order to matter, small enough that reading starts early.
    constexpr std::size_t kBatch = 4096;
    std::vector<Task> pending;
    auto flush = [&] {
      std::sort(pending.begin(), pending.end(), [](const Task& a, const Task& b) { return a.pack_key < b.pack_key; });
      tasks.publish(pending);
      pending.clear();
    };
    auto classify = [&](std::string_view path) -> std::uint16_t {
      std::string key = engine.path_key(path);
      if (key.empty()) return 0;
      if (class_paths.size() == kMaxClasses && !classes.contains(key))
        throw util::RuntimeError("history: more than 65536 combinations of path-restricted rules");
      auto [it, added] = classes.emplace(std::move(key), static_cast<std::uint16_t>(class_paths.size()));
      if (added) {
        class_paths.emplace_back(path);
        class_keys.push_back(it->first);
      }
      return it->second;
    };
    try {
      walked = walk.run(classify, [&](const checkout::WalkedBlob& b) {
        if (read_failed) throw util::RuntimeError("history: reading the blobs failed");  // its error is rethrown below
        Task t{b.id, order.key(b.id), b.commit, b.path_class};
        if (apply_cache(t)) cached.fetch_add(1, std::memory_order_relaxed);
        pending.push_back(t);
        if (pending.size() >= kBatch) flush();
      });
      flush();
    } catch (...) {
      tasks.abort();
      reading.join();
      if (read_error) std::rethrow_exception(read_error);  // the cause, not the walk's stop
      throw;
    }
    if (!walk_key.empty()) checkout::save_walk(request.walk_cache, walk_key, {walk.commits(), walked, class_paths, class_keys});
  }
  const std::size_t total = tasks.size();
  progress.reading(tasks.to_read());
  tasks.close();
  reading.join();
  if (read_error) std::rethrow_exception(read_error);

  std::vector<std::size_t> hit_list;
  for (const auto& list : hits) hit_list.insert(hit_list.end(), list.begin(), list.end());
  if (streamed) {
    // Each blob was read under its first (newest) introduction; the walk's result gives its
    // oldest, which attribution uses. Where that path is of another class (a file copied to a
    // path a path-restricted rule covers), the blob is scanned again under it: rare.
    std::vector<std::size_t> by_id(total);
    for (std::size_t i = 0; i < total; ++i) by_id[i] = i;
    auto id_less = [&](std::size_t a, std::size_t b) { return git_oid_cmp(&tasks.at(a).id, &tasks.at(b).id) < 0; };
    std::sort(by_id.begin(), by_id.end(), id_less);
    std::vector<std::size_t> again;
    for (const auto& b : walked) {
      auto it = std::lower_bound(by_id.begin(), by_id.end(), b.id, [&](std::size_t i, const git_oid& id) {
        return git_oid_cmp(&tasks.at(i).id, &id) < 0;
      });
      if (it == by_id.end() || !git_oid_equal(&tasks.at(*it).id, &b.id))
        throw util::RuntimeError("history: blob " + checkout::to_hex(b.id) + " was walked but not read");
      Task& t = tasks.at(*it);
      t.commit = b.commit;
      if (t.path_class == b.path_class) continue;
      const bool known = t.skip || t.values_only;
      t.path_class = b.path_class;
      if (!t.text && !known) continue;  // unread, binary or too large: the class changes nothing
      if (known) cached.fetch_sub(1, std::memory_order_relaxed);
      if (apply_cache(t)) cached.fetch_add(1, std::memory_order_relaxed);
      if (!t.skip) again.push_back(*it);
    }
    if (!again.empty()) {
      std::sort(again.begin(), again.end(), [&](std::size_t a, std::size_t b) { return tasks.at(a).pack_key < tasks.at(b).pack_key; });
      std::vector<bool> redo(total, false);
      for (std::size_t i : again) redo[i] = true;
      std::erase_if(hit_list, [&](std::size_t i) { return redo[i]; });
      for (auto& list : hits) list.clear();
      counting = false;
      checkout::read_blobs(git_dir, jobs, request.max_file_size, again.size(),
                           [&](std::size_t k) -> const git_oid& { return tasks.at(again[k]).id; },
                           [&] {
                             // read_blobs numbers the blobs 0..n: translate to task indices.
                             checkout::BlobReader r;
                             r.consume = [&](unsigned w, std::size_t k, std::string_view d) { reader.consume(w, again[k], d); };
                             r.too_large = [](unsigned, std::size_t, std::uint64_t) {};
                             r.unreadable = [](unsigned, std::size_t, const std::string&) {};
                             return r;
                           }());
      for (const auto& list : hits) hit_list.insert(hit_list.end(), list.begin(), list.end());
    }
  }
  progress.stop();
  cache.flush();

  // 3. The few blobs with findings: scanned again under the path the introducing commit gives
  //    them, so paths and fingerprints are exactly a tree scan's; attributed to that commit.
  git_odb* raw_odb = nullptr;
  checkout::check(git_repository_odb(&raw_odb, repo.get()), "object database of " + git_dir);
  checkout::OdbPtr odb(raw_odb);
  auto scratch = engine.make_scratch();
  std::map<std::uint32_t, checkout::CommitSummary> commits;
  for (auto& w : workers) job::add_stats(result.stats, w->stats);
  for (std::size_t i : hit_list) {
    const Task& t = tasks.at(i);
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
