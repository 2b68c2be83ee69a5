#include "agent/checkout/shallow.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "agent/checkout/git.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

struct OidLess {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_cmp(&a, &b) < 0; }
};
using OidSet = std::set<git_oid, OidLess>;

// Parents as written in the commit object, ignoring the shallow list (libgit2's commit parser
// applies it, so a shallow commit would look parentless).
std::vector<git_oid> raw_parents(git_odb* odb, const git_oid& commit) {
  std::vector<git_oid> out;
  git_odb_object* raw = nullptr;
  if (git_odb_read(&raw, odb, &commit) < 0) return out;
  OdbObjectPtr obj(raw);
  std::string_view data(static_cast<const char*>(git_odb_object_data(obj.get())), git_odb_object_size(obj.get()));
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t end = data.find('\n', pos);
    if (end == std::string_view::npos || end == pos) break;  // blank line: end of headers
    std::string_view line = data.substr(pos, end - pos);
    if (line.rfind("parent ", 0) == 0 && line.size() >= 7 + GIT_OID_SHA1_HEXSIZE) {
      git_oid p{};
      if (git_oid_fromstrn(&p, line.data() + 7, GIT_OID_SHA1_HEXSIZE) == 0) out.push_back(p);
    }
    pos = end + 1;
  }
  return out;
}

OdbPtr odb_of(git_repository* repo) {
  git_odb* raw = nullptr;
  check(git_repository_odb(&raw, repo), "object database");
  return OdbPtr(raw);
}

std::vector<git_oid> ref_tips(git_repository* repo) {
  std::vector<git_oid> tips;
  git_reference_iterator* it_raw = nullptr;
  if (git_reference_iterator_new(&it_raw, repo) < 0) return tips;
  ReferenceIteratorPtr it(it_raw);
  git_reference* ref_raw = nullptr;
  while (git_reference_next(&ref_raw, it.get()) == 0) {
    ReferencePtr ref(ref_raw);
    git_reference* resolved_raw = nullptr;
    if (git_reference_resolve(&resolved_raw, ref.get()) < 0) continue;
    ReferencePtr resolved(resolved_raw);
    if (const git_oid* oid = git_reference_target(resolved.get())) tips.push_back(*oid);
  }
  return tips;
}

}  // namespace

std::vector<git_oid> read_shallow_file(const fs::path& git_dir) {
  std::vector<git_oid> out;
  std::ifstream in(git_dir / "shallow");
  std::string line;
  while (std::getline(in, line)) {
    git_oid oid{};
    if (line.size() >= GIT_OID_SHA1_HEXSIZE && git_oid_fromstrn(&oid, line.data(), GIT_OID_SHA1_HEXSIZE) == 0)
      out.push_back(oid);
  }
  return out;
}

void write_shallow_file(const fs::path& git_dir, const std::vector<git_oid>& commits) {
  fs::path target = git_dir / "shallow";
  std::error_code ec;
  if (commits.empty()) {
    fs::remove(target, ec);
    return;
  }
  fs::path temp = git_dir / ("shallow.jit-" + std::to_string(getpid()));
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& oid : commits) out << to_hex(oid) << '\n';
    if (!out) throw util::RuntimeError("cannot write " + temp.string());
  }
  fs::rename(temp, target, ec);
  if (ec) throw util::RuntimeError("cannot replace " + target.string() + ": " + ec.message());
}

void normalise_shallow(git_repository* repo, const fs::path& git_dir, const std::vector<git_oid>& candidates) {
  OdbPtr odb = odb_of(repo);
  std::vector<git_oid> all = read_shallow_file(git_dir);
  all.insert(all.end(), candidates.begin(), candidates.end());
  std::vector<git_oid> keep;
  OidSet seen;
  for (const auto& oid : all) {
    if (!seen.insert(oid).second || !git_odb_exists(odb.get(), &oid)) continue;
    auto parents = raw_parents(odb.get(), oid);
    bool missing = std::any_of(parents.begin(), parents.end(), [&](const git_oid& p) { return !git_odb_exists(odb.get(), &p); });
    if (missing) keep.push_back(oid);
  }
  write_shallow_file(git_dir, keep);
}

ShallowMask::ShallowMask(git_repository* repo, const fs::path& git_dir, bool mask, std::size_t max_haves)
    : repo_(repo), git_dir_(git_dir), original_(read_shallow_file(git_dir)), written_(original_) {
  if (!mask) return;
  // The commits libgit2 will offer as haves: everything reachable from refs/* down to the
  // shallow list. Keep every tip, then the newest commits, up to max_haves.
  std::vector<git_oid> tips = ref_tips(repo);
  OidSet chosen(tips.begin(), tips.end());
  git_revwalk* walk_raw = nullptr;
  check(git_revwalk_new(&walk_raw, repo), "revwalk");
  RevwalkPtr walk(walk_raw);
  // Newest first, and never a parent before its children: the chosen set is a contiguous top
  // of the history, so the cut hides as little as possible.
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  for (const auto& t : tips) git_revwalk_push(walk.get(), &t);
  std::size_t reachable = 0;
  git_oid oid{};
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    ++reachable;
    if (chosen.size() < max_haves) chosen.insert(oid);
    if (reachable > max_haves && chosen.size() >= max_haves) break;
  }
  if (reachable <= max_haves) return;  // short history: one request anyway

  // Cut at the frontier: chosen commits with a parent outside the chosen set.
  OidSet original_set(original_.begin(), original_.end());
  std::vector<git_oid> masked_list = original_;
  for (const auto& c : chosen) {
    if (original_set.count(c)) continue;
    git_commit* commit_raw = nullptr;
    if (git_commit_lookup(&commit_raw, repo, &c) < 0) continue;
    CommitPtr commit(commit_raw);
    unsigned n = git_commit_parentcount(commit.get());
    for (unsigned i = 0; i < n; ++i) {
      if (!chosen.count(*git_commit_parent_id(commit.get(), i))) {
        masked_list.push_back(c);
        ++masked_;
        break;
      }
    }
  }
  write_shallow_file(git_dir_, masked_list);
  written_ = std::move(masked_list);
}

ShallowMask::~ShallowMask() {
  if (finished_) return;
  try {
    write_shallow_file(git_dir_, original_);
  } catch (...) {
    // The next run's cache check sees a shallow list that hides history only as "shallow";
    // normalise_shallow() after its fetch repairs it. Nothing better to do in a destructor.
  }
}

std::size_t ShallowMask::finish() {
  finished_ = true;
  normalise_shallow(repo_, git_dir_, written_);
  return masked_;
}

}  // namespace agent::checkout
