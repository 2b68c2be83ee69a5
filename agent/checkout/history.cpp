#include "agent/checkout/history.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <ctime>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "agent/checkout/git.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace {

constexpr std::size_t kQueueLimit = 4096;          // blobs waiting for a worker
constexpr std::size_t kSummaryLimit = 200;         // bytes of a commit summary kept
constexpr std::size_t kObjectCacheLimit = 64 << 20;  // libgit2's object cache (trees, commits)

std::string rfc3339(git_time_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  return text + "…";
}

git_oid resolve(git_repository* repo, const std::string& spec) {
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repo, spec.c_str()) < 0)
    throw util::UsageError("history: no commit '" + spec + "' in the repository (" + last_git_error() + ")");
  ObjectPtr obj(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) < 0)
    throw util::UsageError("history: '" + spec + "' is not a commit");
  ObjectPtr commit(peeled);
  return *git_object_id(commit.get());
}

/// Every ref that peels to a commit, and HEAD.
std::vector<git_oid> all_ref_commits(git_repository* repo) {
  std::vector<git_oid> out;
  git_reference_iterator* raw = nullptr;
  check(git_reference_iterator_new(&raw, repo), "listing references");
  ReferenceIteratorPtr it(raw);
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, it.get()) == 0) {
    ReferencePtr owned(ref);
    git_object* peeled = nullptr;
    if (git_reference_peel(&peeled, owned.get(), GIT_OBJECT_COMMIT) == 0) {
      out.push_back(*git_object_id(peeled));
      git_object_free(peeled);
    }
  }
  git_oid head;
  if (git_reference_name_to_id(&head, repo, "HEAD") == 0) out.push_back(head);
  return out;
}

}  // namespace

HistoryRange parse_range(std::string_view text) {
  HistoryRange r;
  if (text.find("...") != std::string_view::npos)
    throw util::UsageError("--range " + std::string(text) + ": A...B (symmetric difference) is not supported; use A..B");
  auto dots = text.find("..");
  if (dots == std::string_view::npos) {
    if (text.empty()) throw util::UsageError("--range: expected A..B (or a single revision)");
    r.include.emplace_back(text);
    return r;
  }
  std::string from(text.substr(0, dots)), to(text.substr(dots + 2));
  if (from.empty() && to.empty()) throw util::UsageError("--range ..: expected A..B");
  r.include.push_back(to.empty() ? "HEAD" : to);
  r.exclude.push_back(from.empty() ? "HEAD" : from);
  return r;
}

HistoryWalk::HistoryWalk(git_repository* repo, const HistoryRange& range, std::function<bool(std::string_view path, bool is_dir)> keep_path)
    : repo_(repo), range_(range), keep_path_(std::move(keep_path)) {
  for (const auto& spec : range_.include) resolve(repo_, spec);
  for (const auto& spec : range_.exclude) resolve(repo_, spec);
}

bool HistoryWalk::walk_tree(const git_tree* tree, std::string& prefix, std::uint32_t commit,
                            const std::function<bool(HistoryBlob&&)>* on_blob, bool& complete) {
  counters_.trees.fetch_add(1, std::memory_order_relaxed);
  const std::size_t n = git_tree_entrycount(tree);
  for (std::size_t i = 0; i < n && !stop_; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(tree, i);
    const git_object_t type = git_tree_entry_type(e);
    const git_filemode_t mode = git_tree_entry_filemode(e);
    // Symbolic links (their "content" is a path) and submodules are not files of this repository.
    if (type == GIT_OBJECT_TREE || mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
      const git_oid* id = git_tree_entry_id(e);
      if (seen_.contains(*id)) continue;
      const std::size_t keep = prefix.size();
      prefix += git_tree_entry_name(e);
      if (on_blob && keep_path_ && !keep_path_(prefix, type == GIT_OBJECT_TREE)) {
        counters_.pruned.fetch_add(1, std::memory_order_relaxed);
        complete = false;  // the pruned part may be kept under another path: this tree stays unseen
      } else if (type == GIT_OBJECT_TREE) {
        git_tree* raw = nullptr;
        if (git_tree_lookup(&raw, repo_, id) < 0)
          throw util::RuntimeError("history: cannot read the tree " + prefix + " (" + to_hex(*id) + "): " + last_git_error());
        TreePtr sub(raw);
        prefix += '/';
        bool sub_complete = true;
        walk_tree(sub.get(), prefix, commit, on_blob, sub_complete);
        if (sub_complete && !stop_) seen_.insert(*id);
        else complete = false;
      } else {
        seen_.insert(*id);
        if (on_blob) {
          counters_.blobs.fetch_add(1, std::memory_order_relaxed);
          if (!(*on_blob)(HistoryBlob{*id, prefix, commit})) stop_ = true;
        }
      }
      prefix.resize(keep);
    }
  }
  return !stop_;
}

void HistoryWalk::run(const std::function<bool(HistoryBlob&&)>& on_blob) {
  git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(kObjectCacheLimit));
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo_), "history walk");
  RevwalkPtr walk(raw);
  check(git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE), "history walk");
  std::vector<git_oid> include;
  if (range_.include.empty()) include = all_ref_commits(repo_);
  else
    for (const auto& spec : range_.include) include.push_back(resolve(repo_, spec));
  std::vector<git_oid> exclude;
  for (const auto& spec : range_.exclude) exclude.push_back(resolve(repo_, spec));
  for (const auto& id : include) check(git_revwalk_push(walk.get(), &id), "history walk of " + to_hex(id));
  for (const auto& id : exclude) check(git_revwalk_hide(walk.get(), &id), "history walk hiding " + to_hex(id));
  commits_.clear();
  for (git_oid id; git_revwalk_next(&id, walk.get()) == 0;) commits_.push_back(id);

  // What the excluded side already holds is not new: the trees of the excluded commits and of
  // every parent outside the walk (the boundary), marked without being handed out.
  OidSet walked;
  for (const auto& id : commits_) walked.insert(id);
  OidSet boundary;
  auto mark = [&](const git_oid& id) {
    if (!boundary.insert(id)) return;
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo_, &id) < 0) return;  // beyond a shallow boundary: not fetched
    CommitPtr commit(c);
    git_tree* t = nullptr;
    if (git_commit_tree(&t, commit.get()) < 0) return;
    TreePtr tree(t);
    std::string prefix;
    bool complete = true;
    walk_tree(tree.get(), prefix, 0, nullptr, complete);
  };
  for (const auto& id : exclude) mark(id);
  for (const auto& id : commits_) {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo_, &id), "history: commit " + to_hex(id));
    CommitPtr commit(c);
    for (unsigned p = 0; p < git_commit_parentcount(commit.get()); ++p) {
      const git_oid* parent = git_commit_parent_id(commit.get(), p);
      if (parent && !walked.contains(*parent)) mark(*parent);
    }
  }
  counters_.trees.store(0);

  for (std::uint32_t i = 0; i < commits_.size() && !stop_; ++i) {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo_, &commits_[i]), "history: commit " + to_hex(commits_[i]));
    CommitPtr commit(c);
    git_tree* t = nullptr;
    check(git_commit_tree(&t, commit.get()), "history: tree of " + to_hex(commits_[i]));
    TreePtr tree(t);
    std::string prefix;
    bool complete = true;
    walk_tree(tree.get(), prefix, i, &on_blob, complete);
    counters_.commits.fetch_add(1, std::memory_order_relaxed);
  }
  counters_.walk_done = true;
}

CommitSummary HistoryWalk::describe(std::uint32_t index) const {
  CommitSummary s;
  if (index >= commits_.size()) return s;
  s.sha = to_hex(commits_[index]);
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo_, &commits_[index]) < 0) return s;
  CommitPtr commit(c);
  if (const git_signature* a = git_commit_author(commit.get())) {
    s.author_name = a->name ? a->name : "";
    s.author_email = a->email ? a->email : "";
    s.date = rfc3339(a->when.time);
  }
  std::string message = git_commit_message(commit.get()) ? git_commit_message(commit.get()) : "";
  const auto nl = message.find('\n');
  if (nl != std::string::npos) message.resize(nl);
  s.summary = cut_utf8(std::move(message), kSummaryLimit);
  return s;
}

void read_blobs(const std::string& git_dir, unsigned jobs, std::uint64_t max_size,
                const std::function<void(const std::function<bool(HistoryBlob&&)>& push)>& produce,
                const std::function<void(unsigned, const HistoryBlob&, std::string_view)>& consume,
                const std::function<void(unsigned, const HistoryBlob&, std::uint64_t)>& skipped) {
  jobs = std::max(1u, jobs);
  std::mutex mutex;
  std::condition_variable not_empty, not_full;
  std::deque<HistoryBlob> queue;
  bool done = false;
  bool failed = false;
  std::exception_ptr error;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard lock(mutex);
    if (!error) error = e;
    failed = true;
    not_empty.notify_all();
    not_full.notify_all();
  };

  auto worker = [&](unsigned index) {
    try {
      RepositoryPtr repo = open_repository(git_dir);  // own handle: own caches, no shared lock
      git_odb* raw = nullptr;
      check(git_repository_odb(&raw, repo.get()), "object database of " + git_dir);
      OdbPtr odb(raw);
      for (;;) {
        HistoryBlob blob;
        {
          std::unique_lock lock(mutex);
          not_empty.wait(lock, [&] { return failed || done || !queue.empty(); });
          if (failed || queue.empty()) return;
          blob = std::move(queue.front());
          queue.pop_front();
          not_full.notify_one();
        }
        std::size_t size = 0;
        git_object_t type = GIT_OBJECT_INVALID;
        if (git_odb_read_header(&size, &type, odb.get(), &blob.id) < 0)
          throw util::RuntimeError("history: cannot read " + blob.path + " (blob " + to_hex(blob.id) +
                                   "): " + last_git_error());
        if (size > max_size) {
          skipped(index, blob, size);
          continue;
        }
        git_odb_object* obj = nullptr;
        if (git_odb_read(&obj, odb.get(), &blob.id) < 0)
          throw util::RuntimeError("history: cannot read " + blob.path + " (blob " + to_hex(blob.id) +
                                   "): " + last_git_error());
        OdbObjectPtr owned(obj);
        consume(index, blob, {static_cast<const char*>(git_odb_object_data(obj)), git_odb_object_size(obj)});
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker, i);
  try {
    produce([&](HistoryBlob&& blob) {
      std::unique_lock lock(mutex);
      not_full.wait(lock, [&] { return failed || queue.size() < kQueueLimit; });
      if (failed) return false;
      queue.push_back(std::move(blob));
      not_empty.notify_one();
      return true;
    });
  } catch (...) {
    fail(std::current_exception());
  }
  {
    std::lock_guard lock(mutex);
    done = true;
    not_empty.notify_all();
  }
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace agent::checkout
