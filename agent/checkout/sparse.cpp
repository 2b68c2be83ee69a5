#include "agent/checkout/sparse.h"

#include "agent/checkout/diff.h"
#include "agent/checkout/git.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace fs = std::filesystem;

std::uint64_t checkout_folders(const fs::path& git_dir, std::string_view commit_sha, const fs::path& dest,
                               const std::vector<std::string>& folders) {
  RepositoryPtr repo = open_repository(git_dir.string());
  CommitPtr commit = lookup_commit(repo.get(), commit_sha);
  git_tree* t = nullptr;
  check(git_commit_tree(&t, commit.get()), "tree of " + std::string(commit_sha));
  TreePtr tree(t);

  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec) throw util::RuntimeError("cannot create " + dest.string() + ": " + ec.message());

  // Checking out against an empty baseline writes every selected file whatever the mirror's
  // HEAD is; the mirror's own index is never touched (it is bare and shared between runs).
  git_index* idx_raw = nullptr;
  check(git_index_new(&idx_raw), "in-memory index");
  IndexPtr empty_index(idx_raw);

  FolderFilter filter(folders);
  StrArray paths(filter.folders());
  struct Counter {
    std::uint64_t files = 0;
  } counter;
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DONT_WRITE_INDEX;
  opts.baseline_index = empty_index.get();
  std::string target = dest.string();
  opts.target_directory = target.c_str();
  if (!filter.all()) opts.paths = *paths.get();
  opts.notify_flags = GIT_CHECKOUT_NOTIFY_NONE;
  opts.progress_cb = [](const char* path, size_t, size_t, void* payload) {
    if (path) ++static_cast<Counter*>(payload)->files;
  };
  opts.progress_payload = &counter;
  check(git_checkout_tree(repo.get(), reinterpret_cast<git_object*>(tree.get()), &opts),
        "checkout of " + std::string(commit_sha) + " into " + target);
  return counter.files;
}

}  // namespace agent::checkout
