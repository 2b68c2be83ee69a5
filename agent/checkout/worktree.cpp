#include "agent/checkout/worktree.h"

#include <dirent.h>
#include <git2.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "agent/checkout/git.h"
#include "agent/util/error.h"
#include "agent/util/glob.h"

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

struct LibGit2 {
  LibGit2() {
    ensure_libgit2();  // the process-wide settings (pack windows), once
    git_libgit2_init();
  }
  ~LibGit2() { git_libgit2_shutdown(); }
};

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using IndexPtr = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using StatusPtr = std::unique_ptr<git_status_list, Deleter<git_status_list, git_status_list_free>>;

bool excluded(const std::vector<std::string>& excludes, const std::string& rel, bool is_dir = false) {
  return std::any_of(excludes.begin(), excludes.end(),
                     [&](const std::string& g) { return util::glob_match(g, rel, is_dir); });
}

class Collector {
 public:
  Collector(const fs::path& root, const ListOptions& options, util::ScanStats& stats)
      : root_(root), options_(options), stats_(stats) {}

  /// Adds `rel` (relative to the root) after lstat: regular files only.
  void add(const std::string& rel) {
    if (excluded(options_.excludes, rel)) {
      ++stats_.skipped_excluded;
      return;
    }
    fs::path abs = root_ / rel;
    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0) return;  // tracked but deleted in the working tree
    if (S_ISLNK(st.st_mode)) {
      ++stats_.skipped_symlinks;
      return;
    }
    if (!S_ISREG(st.st_mode)) return;
    files_.push_back({rel, std::move(abs), static_cast<std::uint64_t>(st.st_size)});
  }

  /// Walks a folder without git: prunes excluded folders before descending, skips `.git`.
  void walk(const std::string& rel_dir) {
    fs::path dir = rel_dir.empty() ? root_ : root_ / rel_dir;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
      ++stats_.unreadable;
      warnings_.push_back(dir.string() + ": cannot open folder");
      return;
    }
    while (dirent* e = ::readdir(d.get())) {
      std::string_view name(e->d_name);
      if (name == "." || name == ".." || name == ".git") continue;
      std::string rel = rel_dir.empty() ? std::string(name) : rel_dir + '/' + std::string(name);
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st {};
        if (::lstat((root_ / rel).c_str(), &st) != 0) continue;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        if (excluded(options_.excludes, rel, true)) {
          ++stats_.skipped_excluded;
          continue;
        }
        walk(rel);
      } else if (type == DT_LNK) {
        ++stats_.skipped_symlinks;
      } else if (type == DT_REG) {
        add(rel);
      }
    }
  }

  std::vector<util::FileEntry> take() {
    std::sort(files_.begin(), files_.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    files_.erase(std::unique(files_.begin(), files_.end(),
                             [](const auto& a, const auto& b) { return a.path == b.path; }),
                 files_.end());
    return std::move(files_);
  }
  std::vector<std::string>& warnings() { return warnings_; }

 private:
  fs::path root_;
  const ListOptions& options_;
  util::ScanStats& stats_;
  std::vector<util::FileEntry> files_;
  std::vector<std::string> warnings_;
};

std::string git_error_text() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

/// Lists via git; returns false when `root` is not inside a usable (non-bare) checkout.
bool list_with_git(const fs::path& root, Collector& collector, Listing& out) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, root.c_str(), 0, nullptr) != 0) return false;
  RepoPtr repo(raw);
  const char* workdir = git_repository_workdir(repo.get());
  if (!workdir) return false;
  // Paths in the index are relative to the work dir; keep those under `root`, relative to it.
  std::string prefix = fs::relative(fs::canonical(root), fs::canonical(workdir)).generic_string();
  if (prefix == ".") prefix.clear();
  if (!prefix.empty()) prefix += '/';
  auto strip = [&](std::string_view p) -> std::optional<std::string> {
    if (p.substr(0, prefix.size()) != prefix) return std::nullopt;
    return std::string(p.substr(prefix.size()));
  };

  git_index* raw_index = nullptr;
  if (git_repository_index(&raw_index, repo.get()) != 0)
    throw util::RuntimeError(root.string() + ": cannot read the git index: " + git_error_text());
  IndexPtr index(raw_index);
  for (std::size_t i = 0, n = git_index_entrycount(index.get()); i < n; ++i) {
    const git_index_entry* e = git_index_get_byindex(index.get(), i);
    if (!e || GIT_INDEX_ENTRY_STAGE(e) > 1) continue;  // one entry per conflicted path
    if (e->mode == GIT_FILEMODE_COMMIT) continue;     // submodule
    if (auto rel = strip(e->path)) collector.add(*rel);
  }

  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
               GIT_STATUS_OPT_EXCLUDE_SUBMODULES | GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
  std::string spec = prefix;
  char* spec_ptr = spec.data();
  if (!prefix.empty()) {
    opts.pathspec.strings = &spec_ptr;
    opts.pathspec.count = 1;
    opts.flags &= ~static_cast<unsigned>(GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH);
  }
  git_status_list* raw_status = nullptr;
  if (git_status_list_new(&raw_status, repo.get(), &opts) != 0)
    throw util::RuntimeError(root.string() + ": cannot list untracked files: " + git_error_text());
  StatusPtr status(raw_status);
  for (std::size_t i = 0, n = git_status_list_entrycount(status.get()); i < n; ++i) {
    const git_status_entry* e = git_status_byindex(status.get(), i);
    if (!(e->status & GIT_STATUS_WT_NEW) || !e->index_to_workdir) continue;
    if (auto rel = strip(e->index_to_workdir->new_file.path)) collector.add(*rel);
  }

  git_oid head{};
  if (git_reference_name_to_id(&head, repo.get(), "HEAD") == 0) {
    char hex[GIT_OID_MAX_HEXSIZE + 1] = {};
    git_oid_tostr(hex, sizeof hex, &head);
    out.head_sha = hex;
  }
  out.from_git = true;
  return true;
}

}  // namespace

Listing list_files(const fs::path& root, const ListOptions& options, util::ScanStats& stats,
                   std::vector<std::string>& warnings) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw util::UsageError(root.string() + ": no such file or folder");
  if (!fs::is_directory(root, ec)) throw util::UsageError(root.string() + ": not a folder");
  LibGit2 lib;
  Listing out;
  Collector collector(root, options, stats);
  if (!options.use_git || !list_with_git(root, collector, out)) collector.walk("");
  out.files = collector.take();
  for (auto& w : collector.warnings()) warnings.push_back(std::move(w));
  return out;
}

}  // namespace agent::checkout
