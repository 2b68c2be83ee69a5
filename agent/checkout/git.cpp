#include "agent/checkout/git.h"

#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::checkout {
namespace {

struct Libgit2Guard {
  Libgit2Guard() { git_libgit2_init(); }
  ~Libgit2Guard() { git_libgit2_shutdown(); }
  Libgit2Guard(const Libgit2Guard&) = delete;
  Libgit2Guard& operator=(const Libgit2Guard&) = delete;
};

}  // namespace

void ensure_libgit2() {
  static Libgit2Guard guard;  // thread-safe once-only initialisation (C++11 statics)
}

StrArray::StrArray(std::vector<std::string> items) : items_(std::move(items)) {
  ptrs_.reserve(items_.size());
  for (auto& s : items_) ptrs_.push_back(s.data());
  array_.strings = ptrs_.data();
  array_.count = ptrs_.size();
}

std::string last_git_error() {
  const git_error* e = git_error_last();
  std::string message = (e && e->message && *e->message) ? e->message : "unknown error";
  while (!message.empty() && (message.back() == '\n' || message.back() == '.')) message.pop_back();
  return util::global_redactor().apply(message);
}

void check(int rc, std::string_view what) {
  if (rc >= 0) return;
  throw util::RuntimeError(std::string(what) + ": " + last_git_error());
}

std::string to_hex(const git_oid& oid) {
  char buf[GIT_OID_MAX_HEXSIZE + 1] = {};
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

git_oid parse_oid(std::string_view hex, std::string_view what) {
  git_oid oid{};
  if (hex.size() != GIT_OID_SHA1_HEXSIZE || git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0)
    throw util::RuntimeError(std::string(what) + " is not a full object id: \"" +
                             std::string(hex.substr(0, 80)) + "\"");
  return oid;
}

RepositoryPtr open_repository(const std::string& path) {
  ensure_libgit2();
  git_repository* raw = nullptr;
  check(git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
        "cannot open git repository " + path);
  return RepositoryPtr(raw);
}

CommitPtr lookup_commit(git_repository* repo, std::string_view spec) {
  std::string s(spec);
  git_object* obj = nullptr;
  check(git_revparse_single(&obj, repo, s.c_str()), "cannot resolve " + s);
  ObjectPtr owned(obj);
  git_object* peeled = nullptr;
  check(git_object_peel(&peeled, owned.get(), GIT_OBJECT_COMMIT), s + " is not a commit");
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

}  // namespace agent::checkout
