#include "agent/checkout/partial.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "agent/checkout/git.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace {

struct OidLess {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_cmp(&a, &b) < 0; }
};

class Collector {
 public:
  explicit Collector(git_repository* repo) {
    git_odb* raw = nullptr;
    check(git_repository_odb(&raw, repo), "object database");
    odb_.reset(raw);
  }
  void add(const git_oid& oid) {
    if (git_oid_is_zero(&oid) || git_odb_exists(odb_.get(), &oid)) return;
    if (seen_.insert(oid).second) out_.push_back(oid);
  }
  git_odb* odb() { return odb_.get(); }
  std::vector<git_oid> take() { return std::move(out_); }

 private:
  OdbPtr odb_;
  std::set<git_oid, OidLess> seen_;
  std::vector<git_oid> out_;
};

TreePtr tree_of_commit(git_repository* repo, const std::string& sha) {
  if (sha.empty()) return nullptr;
  CommitPtr c = lookup_commit(repo, sha);
  git_tree* t = nullptr;
  check(git_commit_tree(&t, c.get()), "tree of " + sha);
  return TreePtr(t);
}

// Both sides of every changed blob between two trees; trees are compared by id only, no blob
// is read (they may be missing: that is what we are finding out).
void add_changes(git_repository* repo, const std::string& from, const std::string& to, Collector& out) {
  TreePtr a = tree_of_commit(repo, from);
  TreePtr b = tree_of_commit(repo, to);
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo, a.get(), b.get(), &opts), "diff " + from + ".." + to);
  DiffPtr diff(raw);
  for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    for (const git_diff_file* f : {&d->old_file, &d->new_file})
      if (f->mode == GIT_FILEMODE_BLOB || f->mode == GIT_FILEMODE_BLOB_EXECUTABLE) out.add(f->id);
  }
}

}  // namespace

bool Materialized::contains(std::string_view path) const {
  return folders_.all() || path.find('/') == std::string_view::npos || path.rfind(".jit/", 0) == 0 ||
         folders_.contains(path);
}

bool Materialized::may_contain_below(std::string_view dir) const {
  if (folders_.all() || dir == ".jit" || folders_.contains(dir)) return true;
  for (const auto& f : folders_.folders())
    if (f.size() > dir.size() && f.compare(0, dir.size(), dir) == 0 && f[dir.size()] == '/') return true;
  return false;
}

std::vector<git_oid> missing_blobs(git_repository* repo, const std::string& head, const std::string& merge_base,
                                   const Materialized& what) {
  Collector out(repo);
  TreePtr tree = tree_of_commit(repo, head);
  struct Walk {
    const Materialized* what;
    Collector* out;
  } walk{&what, &out};
  check(git_tree_walk(
            tree.get(), GIT_TREEWALK_PRE,
            [](const char* root, const git_tree_entry* e, void* payload) -> int {
              auto* w = static_cast<Walk*>(payload);
              std::string path = std::string(root) + git_tree_entry_name(e);
              if (git_tree_entry_type(e) == GIT_OBJECT_TREE) return w->what->may_contain_below(path) ? 0 : 1;
              git_filemode_t mode = git_tree_entry_filemode(e);
              if ((mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) && w->what->contains(path))
                w->out->add(*git_tree_entry_id(e));
              return 0;
            },
            &walk),
        "tree walk of " + head);
  if (!merge_base.empty()) {
    add_changes(repo, merge_base, head, out);
    for (const std::string& sha : commits_between(repo, merge_base, head)) {
      CommitPtr c = lookup_commit(repo, sha);
      std::string parent = git_commit_parentcount(c.get()) == 1 ? to_hex(*git_commit_parent_id(c.get(), 0)) : "";
      add_changes(repo, parent, sha, out);
    }
  }
  return out.take();
}

std::string check_commit_objects(git_repository* repo, const std::string& sha, const Materialized& what) {
  git_oid oid{};
  if (sha.size() != GIT_OID_SHA1_HEXSIZE || git_oid_fromstrn(&oid, sha.data(), sha.size()) < 0) return "bad sha " + sha;
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo, &oid) < 0) return "commit " + sha + " unreadable: " + last_git_error();
  CommitPtr commit(c);
  git_tree* t = nullptr;
  if (git_commit_tree(&t, commit.get()) < 0) return "tree of " + sha + " missing: " + last_git_error();
  TreePtr tree(t);
  Collector present(repo);
  struct Walk {
    const Materialized* what;
    git_odb* odb;
    std::string missing;
  } walk{&what, present.odb(), ""};
  int rc = git_tree_walk(
      tree.get(), GIT_TREEWALK_PRE,
      [](const char* root, const git_tree_entry* e, void* payload) -> int {
        auto* w = static_cast<Walk*>(payload);
        std::string path = std::string(root) + git_tree_entry_name(e);
        if (git_tree_entry_type(e) == GIT_OBJECT_BLOB && w->what->contains(path) &&
            !git_odb_exists(w->odb, git_tree_entry_id(e))) {
          w->missing = path;
          return -1;
        }
        return 0;
      },
      &walk);
  if (!walk.missing.empty()) return "blob of " + walk.missing + " missing in commit " + sha;
  if (rc < 0) return "tree of commit " + sha + " unreadable: " + last_git_error();
  return "";
}

std::uint64_t expanded_tree_size(git_repository* repo, const std::string& sha, std::uint64_t limit) {
  git_oid oid{};
  if (sha.size() != GIT_OID_SHA1_HEXSIZE || git_oid_fromstrn(&oid, sha.data(), sha.size()) < 0) return 0;
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo, &oid) < 0) return 0;
  CommitPtr commit(c);
  std::map<git_oid, std::uint64_t, OidLess> sizes;  // tree -> entries below it, expanded
  std::function<std::uint64_t(const git_oid&)> size_of = [&](const git_oid& id) -> std::uint64_t {
    if (auto it = sizes.find(id); it != sizes.end()) return it->second;
    git_tree* raw = nullptr;
    if (git_tree_lookup(&raw, repo, &id) < 0) return 0;
    TreePtr tree(raw);
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < git_tree_entrycount(tree.get()) && n <= limit; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree.get(), i);
      n += 1;
      if (git_tree_entry_type(e) == GIT_OBJECT_TREE) n += size_of(*git_tree_entry_id(e));
    }
    sizes.emplace(id, n);
    return n;
  };
  return size_of(*git_commit_tree_id(commit.get()));
}

std::vector<std::string> list_packs(const std::filesystem::path& git_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(git_dir / "objects" / "pack", ec))
    if (e.path().extension() == ".pack") out.push_back(e.path().filename().string());
  return out;
}

void mark_promisor_packs(const std::filesystem::path& git_dir, const std::vector<std::string>& before) {
  for (const auto& name : list_packs(git_dir)) {
    if (std::find(before.begin(), before.end(), name) != before.end()) continue;
    std::filesystem::path marker = git_dir / "objects" / "pack" / name;
    std::ofstream(marker.replace_extension(".promisor"));
  }
}

bool is_partial(git_repository* repo) {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo) < 0) return false;
  ConfigPtr cfg(raw);
  int value = 0;
  return git_config_get_bool(&value, cfg.get(), "jit.partial") == 0 && value;
}

void mark_partial(git_repository* repo) {
  git_config* raw = nullptr;
  check(git_repository_config(&raw, repo), "mirror config");
  ConfigPtr cfg(raw);
  check(git_config_set_bool(cfg.get(), "jit.partial", 1), "mirror config");
  // What git itself writes for a partial clone, so `git` commands on the mirror understand it.
  git_config_set_bool(cfg.get(), "remote.origin.promisor", 1);
  git_config_set_string(cfg.get(), "remote.origin.partialclonefilter", "blob:none");
}

}  // namespace agent::checkout
