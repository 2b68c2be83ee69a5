#pragma once
// RAII for libgit2: one owning pointer type per handle, a once-only library guard, and error
// translation into util::RuntimeError (messages pass through the redactor: no token leaks).
#include <git2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agent::checkout {

/// Initialises libgit2 once per process (a function-local guard shuts it down at exit).
void ensure_libgit2();

template <class T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const noexcept {
    if (p) Free(p);
  }
};
template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using ReferenceIteratorPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;
using PatchPtr = GitPtr<git_patch, git_patch_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;

/// An owned git_buf.
class GitBuf {
 public:
  GitBuf() = default;
  ~GitBuf() { git_buf_dispose(&buf_); }
  GitBuf(const GitBuf&) = delete;
  GitBuf& operator=(const GitBuf&) = delete;
  git_buf* get() { return &buf_; }
  std::string str() const { return buf_.ptr ? std::string(buf_.ptr, buf_.size) : std::string(); }

 private:
  git_buf buf_ = GIT_BUF_INIT;
};

/// A git_strarray view over owned strings (libgit2 only reads it).
class StrArray {
 public:
  explicit StrArray(std::vector<std::string> items);
  StrArray(const StrArray&) = delete;
  StrArray& operator=(const StrArray&) = delete;
  const git_strarray* get() const { return &array_; }
  git_strarray* get() { return &array_; }

 private:
  std::vector<std::string> items_;
  std::vector<char*> ptrs_;
  git_strarray array_{};
};

/// The last libgit2 error message ("unknown error" when none), redacted.
std::string last_git_error();
/// Throws util::RuntimeError("<what>: <libgit2 message>") when `rc` < 0.
void check(int rc, std::string_view what);

/// Lower-case hex of `oid`.
std::string to_hex(const git_oid& oid);
/// Parses a full hex object id; throws util::RuntimeError naming `what` when malformed.
git_oid parse_oid(std::string_view hex, std::string_view what = "object id");

/// Opens a repository (bare or not) at `path`; throws util::RuntimeError when it is not one.
RepositoryPtr open_repository(const std::string& path);
/// Resolves a ref name, short name or hex sha to the commit it points at (peeling tags).
CommitPtr lookup_commit(git_repository* repo, std::string_view spec);

}  // namespace agent::checkout
