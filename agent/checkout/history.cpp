#include "agent/checkout/history.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "agent/checkout/git.h"
#include "agent/checkout/pack_backend.h"
#include "agent/checkout/pack_reader.h"
#include "agent/checkout/pack_residency.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace {

constexpr std::size_t kSummaryLimit = 200;         // bytes of a commit summary kept

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

/// libgit2 hashes every object it reads again by default (strict hash verification), with the
/// collision-detecting SHA-1: for a history scan that is a second pass over every tree and blob,
/// as long as the reading itself. git does not (only fsck does), and a scanner reading a damaged
/// object finds what it holds either way; the pack's own checksums were verified when fetched.
void skip_hash_verification() { git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0); }

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

void HistoryWalk::mark_tree(const RawTree& tree) {
  for (const RawTree::Entry& e : tree.entries()) {
    if (!excluded_.insert(*e.id)) continue;  // met before: everything below it is marked
    if (e.type() != GIT_OBJECT_TREE) continue;
    RawTreePtr sub = trees_->tree(*e.id);
    if (!sub) continue;  // not fetched: nothing to leave out
    mark_tree(*sub);
  }
}

bool HistoryWalk::diff_tree(const RawTree& tree, const RawTree* parent, std::string& prefix, std::uint32_t commit,
                            const std::function<std::uint16_t(std::string_view)>& classify,
                            const std::function<void(const WalkedBlob&)>& first_seen) {
  counters_.trees.fetch_add(1, std::memory_order_relaxed);
  if (++trees_this_commit_ > kMaxTreesPerCommit)
    throw util::RuntimeError("history: commit " + to_hex(commits_[commit]) + " changes more than " +
                             std::to_string(kMaxTreesPerCommit) +
                             " folders once its repeated subtrees are expanded (a tree bomb?): not scanned");
  bool complete = true;  // nothing below was pruned: another path to the same pair finds nothing new
  static const std::vector<RawTree::Entry> kNone;
  const auto& entries = tree.entries();
  const auto& parent_entries = parent ? parent->entries() : kNone;
  // The entries the parent was found to share with this tree when it was read: the same
  // mode, name and id, so nothing differs there.
  const auto [same_first, same_last] = parent ? parent->shared_with(tree) : std::pair<std::size_t, std::size_t>{0, 0};
  const std::size_t pn = parent_entries.size() - same_last;
  std::size_t j = same_first;  // both trees are sorted: one pass finds each entry's counterpart in the parent
  for (std::size_t i = same_first; i < entries.size() - same_last; ++i) {
    const RawTree::Entry& e = entries[i];
    const git_object_t type = e.type();
    const git_filemode_t mode = e.filemode();
    // Symbolic links (their "content" is a path) and submodules are not files of this repository.
    if (type != GIT_OBJECT_TREE && mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) continue;
    const RawTree::Entry* before = nullptr;
    while (j < pn) {
      const RawTree::Entry& p = parent_entries[j];
      const int c = RawTree::compare(p, e);
      if (c < 0) {
        ++j;
        continue;
      }
      if (c == 0) before = &p, ++j;
      break;
    }
    const git_oid* id = e.id;
    if (before && before->type() == type && git_oid_equal(before->id, id)) continue;
    if (excluded_.contains(*id)) continue;  // the excluded side has it (for a tree: all of it)
    const std::size_t keep = prefix.size();
    prefix += e.name;
    if (keep_path_ && !keep_path_(prefix, type == GIT_OBJECT_TREE)) {
      counters_.pruned.fetch_add(1, std::memory_order_relaxed);
      complete = false;
    } else if (type == GIT_OBJECT_TREE) {
      const git_oid* before_id = before && before->type() == GIT_OBJECT_TREE ? before->id : nullptr;
      // A subtree met again in this commit against the same parent subtree (a repeated-subtree
      // "tree bomb" repeats one 10 times per level) holds no blob the first visit did not see.
      std::string pair(reinterpret_cast<const char*>(id->id), sizeof id->id);
      if (before_id) pair.append(reinterpret_cast<const char*>(before_id->id), sizeof before_id->id);
      if (!diffed_this_commit_.contains(pair)) {
        RawTreePtr sub = take_tree(*id);
        if (!sub)
          throw util::RuntimeError("history: cannot read the tree " + prefix + " (" + to_hex(*id) + "): " + trees_->error());
        RawTreePtr sub_before;
        if (before_id) sub_before = take_tree(*before_id, sub.get());
        prefix += '/';
        if (diff_tree(*sub, sub_before.get(), prefix, commit, classify, first_seen))
          diffed_this_commit_.insert(std::move(pair));
        else complete = false;
        keep_tree(std::move(sub_before));
      }
    } else {
      const std::uint16_t path_class = classify(prefix);
      if (introduced_.set(*id, OidMap::Value{commit, path_class}) && first_seen)
        first_seen(WalkedBlob{*id, commit, path_class});
    }
    prefix.resize(keep);
  }
  return complete;
}

std::pair<std::vector<git_oid>, std::vector<git_oid>> HistoryWalk::resolved() const {
  std::vector<git_oid> include;
  if (range_.include.empty()) include = all_ref_commits(repo_);
  else
    for (const auto& spec : range_.include) include.push_back(resolve(repo_, spec));
  std::vector<git_oid> exclude;
  for (const auto& spec : range_.exclude) exclude.push_back(resolve(repo_, spec));
  return {include, exclude};
}

std::string HistoryWalk::range_key() const {
  auto [include, exclude] = resolved();
  auto hex_sorted = [](const std::vector<git_oid>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) out.push_back(to_hex(id));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    std::string joined;
    for (const auto& h : out) joined += h + ",";
    return joined;
  };
  return "include:" + hex_sorted(include) + "exclude:" + hex_sorted(exclude);
}

void HistoryWalk::restore(std::vector<git_oid> commits) {
  commits_ = std::move(commits);
  counters_.commits = commits_.size();
  counters_.walk_done = true;
}

RawTreePtr HistoryWalk::take_tree(const git_oid& id, const RawTree* like) {
  for (auto& t : reuse_prev_)
    if (t && git_oid_equal(&t->id(), &id)) return std::move(t);
  return trees_->tree(id, like);
}

void HistoryWalk::keep_tree(RawTreePtr tree) {
  if (tree) reuse_cur_.push_back(std::move(tree));
}

git_tree* HistoryWalk::parent_tree(std::uint32_t index) const {
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo_, &commits_[index]) < 0) return nullptr;
  CommitPtr commit(c);
  if (git_commit_parentcount(commit.get()) == 0) return nullptr;
  git_commit* p = nullptr;
  if (git_commit_parent(&p, commit.get(), 0) < 0) return nullptr;  // beyond a shallow boundary
  CommitPtr parent(p);
  git_tree* t = nullptr;
  return git_commit_tree(&t, parent.get()) == 0 ? t : nullptr;
}

std::vector<WalkedBlob> HistoryWalk::run(const std::function<std::uint16_t(std::string_view)>& classify,
                                         const std::function<void(const WalkedBlob&)>& first_seen) {
  // No object cache: every tree is read once per commit that changes it, right after the tree it
  // is a delta of (the pack's delta-base cache serves that), and a full cache evicts by scanning
  // its whole hash table, which cost more than the reads it saved.
  git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
  skip_hash_verification();
  // The pack pages the walk touches are released from the resident set as it goes (PackResidency).
  PackResidency residency(git_repository_path(repo_), 0);
  // Trees come straight from the packs (TreeSource); each is usually a delta of the one read
  // just before it, which the reader's cache holds.
  trees_ = std::make_unique<TreeSource>(repo_, std::size_t{16} << 20);
  // Commits for the commit-graph walk, and for describe() and find_path() later, come from the
  // packs as well (libgit2's own backends read what they do not hold).
  if (!pack_backend_) pack_backend_ = add_pack_backend(repo_);
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo_), "history walk");
  RevwalkPtr walk(raw);
  check(git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE), "history walk");
  auto [include, exclude] = resolved();
  for (const auto& id : include) check(git_revwalk_push(walk.get(), &id), "history walk of " + to_hex(id));
  for (const auto& id : exclude) check(git_revwalk_hide(walk.get(), &id), "history walk hiding " + to_hex(id));
  commits_.clear();
  for (git_oid id; git_revwalk_next(&id, walk.get()) == 0;) commits_.push_back(id);

  // What the excluded side already holds is not new: the trees of the excluded commits and of
  // every parent outside the walk (the boundary).
  OidSet walked;
  for (const auto& id : commits_) walked.insert(id);
  OidSet boundary;
  auto mark = [&](const git_oid& id) {
    if (!boundary.insert(id)) return;
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo_, &id) < 0) return;  // beyond a shallow boundary: not fetched
    CommitPtr commit(c);
    RawTreePtr tree = trees_->tree(*git_commit_tree_id(commit.get()));
    if (tree) mark_tree(*tree);
  };
  for (const auto& id : exclude) mark(id);
  if (!exclude.empty())
    for (const auto& id : commits_) {
      git_commit* c = nullptr;
      check(git_commit_lookup(&c, repo_, &id), "history: commit " + to_hex(id));
      CommitPtr commit(c);
      for (unsigned p = 0; p < git_commit_parentcount(commit.get()); ++p) {
        const git_oid* parent = git_commit_parent_id(commit.get(), p);
        if (parent && !walked.contains(*parent)) mark(*parent);
      }
    }

  // Newest first: a commit's tree, then its parent's, usually stored as a delta of the former.
  for (std::size_t k = commits_.size(); k-- > 0;) {
    const auto i = static_cast<std::uint32_t>(k);
    git_oid tree_id;
    std::optional<git_oid> parent;
    if (!trees_->commit(commits_[i], tree_id, parent))
      throw util::RuntimeError("history: cannot read the commit " + to_hex(commits_[i]) + ": " + trees_->error());
    RawTreePtr tree = take_tree(tree_id);
    if (!tree) throw util::RuntimeError("history: cannot read the tree of " + to_hex(commits_[i]) + ": " + trees_->error());
    RawTreePtr before;
    git_oid parent_tree_id;
    std::optional<git_oid> grandparent;
    if (parent && trees_->commit(*parent, parent_tree_id, grandparent))  // else beyond a shallow boundary
      before = take_tree(parent_tree_id, tree.get());
    std::string prefix;
    diffed_this_commit_.clear();
    trees_this_commit_ = 0;
    diff_tree(*tree, before.get(), prefix, i, classify, first_seen);
    keep_tree(std::move(before));
    // The parent's trees read for this commit are the next (older) commit's own trees.
    reuse_prev_ = std::move(reuse_cur_);
    reuse_cur_.clear();
    counters_.commits.fetch_add(1, std::memory_order_relaxed);
    counters_.blobs.store(introduced_.size(), std::memory_order_relaxed);
    if (k % 4096 == 0) residency.release();
  }
  std::vector<WalkedBlob> out;
  out.reserve(introduced_.size());
  introduced_.for_each([&](const git_oid& id, OidMap::Value v) { out.push_back(WalkedBlob{id, v.commit, v.path_class}); });
  introduced_ = OidMap{};
  reuse_prev_.clear();
  reuse_cur_.clear();
  trees_.reset();
  counters_.walk_done = true;
  return out;
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

void read_blob_stream(const std::string& git_dir, unsigned jobs, std::uint64_t max_size, const BlobChunkSource& take,
                      const BlobReader& reader, const std::function<void()>& on_failure) {
  jobs = std::max(1u, jobs);
  skip_hash_verification();
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  // Pack pages behind the reading leave the resident set every 64 MiB read (PackResidency).
  PackResidency residency(git_dir, std::uint64_t{64} << 20);
  // The packs are read directly (PackReader); what they do not hold, or hold in a form the
  // reader refuses, is read through libgit2, with the repository opened only then.
  const std::shared_ptr<const PackStore> packs = PackStore::open(git_dir);
  // One cache for all the readers: neighbours in pack order share delta bases, and each thread
  // takes a run of them at a time, so a base one thread resolved is often what the other needs.
  auto bases = std::make_shared<PackReader::Cache>(std::size_t{64} << 20);
  auto worker = [&](unsigned index) {
    try {
      PackReader direct(*packs, bases);
      RepositoryPtr repo;
      OdbPtr odb;
      auto read_with_libgit2 = [&](std::size_t i, const git_oid& id) {
        if (!odb) {
          repo = open_repository(git_dir);  // own handle: own object database state
          git_odb* raw = nullptr;
          check(git_repository_odb(&raw, repo.get()), "object database of " + git_dir);
          odb.reset(raw);
        }
        std::size_t size = 0;
        git_object_t type = GIT_OBJECT_INVALID;
        if (git_odb_read_header(&size, &type, odb.get(), &id) < 0) {
          reader.unreadable(index, i, last_git_error());
          return;
        }
        if (size > max_size) {
          reader.too_large(index, i, size);
          return;
        }
        git_odb_object* obj = nullptr;
        if (git_odb_read(&obj, odb.get(), &id) < 0) {
          reader.unreadable(index, i, last_git_error());
          return;
        }
        OdbObjectPtr owned(obj);
        reader.consume(index, i, {static_cast<const char*>(git_odb_object_data(obj)), git_odb_object_size(obj)});
        residency.add(git_odb_object_size(obj));
      };
      std::vector<std::pair<std::size_t, git_oid>> chunk;
      while (!failed && take(chunk)) {
        for (const auto& [i, id] : chunk) {
          if (failed) break;
          const PackReader::Object obj = direct.read(id, max_size);
          switch (obj.status) {
            case PackReader::Status::ok:
              reader.consume(index, i, obj.data);
              residency.add(obj.size);
              break;
            case PackReader::Status::too_large:
              reader.too_large(index, i, obj.size);
              break;
            case PackReader::Status::corrupt:
              spdlog::debug("history: {}; reading {} through libgit2", obj.error, to_hex(id));
              read_with_libgit2(i, id);
              break;
            case PackReader::Status::missing:
              read_with_libgit2(i, id);
              break;
          }
        }
      }
    } catch (...) {
      {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
      if (!failed.exchange(true) && on_failure) on_failure();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < jobs; ++i) threads.emplace_back(worker, i);
  worker(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

void read_blobs(const std::string& git_dir, unsigned jobs, std::uint64_t max_size, std::size_t count,
                const std::function<const git_oid&(std::size_t)>& id_at, const BlobReader& reader) {
  // Neighbours in pack order share delta bases: each thread takes a run of them at a time.
  constexpr std::size_t kChunk = 64;
  std::atomic<std::size_t> next{0};
  read_blob_stream(git_dir, jobs, max_size, [&](std::vector<std::pair<std::size_t, git_oid>>& chunk) {
    chunk.clear();
    const std::size_t begin = next.fetch_add(kChunk, std::memory_order_relaxed);
    for (std::size_t i = begin; i < std::min(count, begin + kChunk); ++i) chunk.emplace_back(i, id_at(i));
    return !chunk.empty();
  }, reader);
}

std::string HistoryWalk::find_path(std::uint32_t index, const git_oid& blob) const {
  if (index >= commits_.size()) return "";
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo_, &commits_[index]) < 0) return "";
  CommitPtr commit(c);
  git_tree* t = nullptr;
  if (git_commit_tree(&t, commit.get()) < 0) return "";
  TreePtr root(t);
  TreePtr parent(parent_tree(index));
  // The path where the blob differs from the parent's entry: where this commit introduced it.
  std::string found;
  // Subtree pairs searched whole without finding the blob (nothing pruned): not searched again.
  std::unordered_set<std::string> searched;
  bool pruned = false;
  std::function<bool(const git_tree*, const git_tree*, const std::string&)> search =
      [&](const git_tree* tree, const git_tree* before, const std::string& prefix) {
        std::string pair(reinterpret_cast<const char*>(git_tree_id(tree)->id), GIT_OID_SHA1_SIZE);
        if (before) pair.append(reinterpret_cast<const char*>(git_tree_id(before)->id), GIT_OID_SHA1_SIZE);
        if (searched.contains(pair)) return false;
        const bool pruned_before = pruned;
        pruned = false;
        for (std::size_t i = 0; i < git_tree_entrycount(tree); ++i) {
          const git_tree_entry* e = git_tree_entry_byindex(tree, i);
          const git_tree_entry* b = before ? git_tree_entry_byname(before, git_tree_entry_name(e)) : nullptr;
          if (b && git_oid_equal(git_tree_entry_id(b), git_tree_entry_id(e))) continue;
          const std::string path = prefix + git_tree_entry_name(e);
          const bool dir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
          if (keep_path_ && !keep_path_(path, dir)) {
            pruned = true;
            continue;
          }
          if (dir) {
            git_tree* sub = nullptr;
            if (git_tree_lookup(&sub, repo_, git_tree_entry_id(e)) < 0) continue;
            TreePtr owned(sub);
            TreePtr sub_before;
            if (b && git_tree_entry_type(b) == GIT_OBJECT_TREE) {
              git_tree* sb = nullptr;
              if (git_tree_lookup(&sb, repo_, git_tree_entry_id(b)) == 0) sub_before.reset(sb);
            }
            if (search(owned.get(), sub_before.get(), path + "/")) return true;
          } else if (git_oid_equal(git_tree_entry_id(e), &blob)) {
            found = path;
            return true;
          }
        }
        if (!pruned) searched.insert(std::move(pair));
        pruned = pruned || pruned_before;
        return false;
      };
  search(root.get(), parent.get(), "");
  return found;
}

}  // namespace agent::checkout
