// Fuzz target: the diff code that turns an MR's commits into added lines (agent/checkout/diff:
// libgit2 hunks -> FileDiff ranges and AddedText line maps). There is no text diff parser in the
// agent: hunks come from libgit2 on the mirror, so the input is two versions of a repository,
// built in an in-memory object database: "old path\0old content\0new path\0new content"
// (missing parts are empty; a path libgit2 refuses ends the input). The commit with the new
// version has the old one as parent. Checked: added line numbers ascending and inside the new
// version, one number per added text line. Documented: util::Error (RuntimeError from git).
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/checkout/diff.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

struct Repo {
  git_repository* repo = nullptr;
  git_odb_backend* mempack = nullptr;
  git_signature* sig = nullptr;
  Repo() {
    git_libgit2_init();
    git_odb* odb = nullptr;
    if (git_repository_new(&repo) != 0 || git_odb_new(&odb) != 0 || git_mempack_new(&mempack) != 0 ||
        git_odb_add_backend(odb, mempack, 1) != 0)
      std::abort();
    git_repository_set_odb(repo, odb);
    git_odb_free(odb);
    if (git_signature_new(&sig, "fuzz", "fuzz@example.com", 1'700'000'000, 0) != 0) std::abort();
  }
};

Repo& repo() {
  static Repo r;
  return r;
}

/// A commit whose tree holds `content` at `path` (folders created as needed); "" on refusal.
std::string commit(std::string_view path, std::string_view content, const git_commit* parent) {
  Repo& r = repo();
  git_oid blob, tree_id, commit_id;
  if (git_blob_create_from_buffer(&blob, r.repo, content.data(), content.size()) != 0) return "";
  // Build the tree bottom-up from the path's segments.
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() > 8) return "";
  git_oid child = blob;
  git_filemode_t mode = GIT_FILEMODE_BLOB;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    git_treebuilder* tb = nullptr;
    if (git_treebuilder_new(&tb, r.repo, nullptr) != 0) return "";
    int rc = git_treebuilder_insert(nullptr, tb, it->c_str(), &child, mode);
    if (rc == 0) rc = git_treebuilder_write(&tree_id, tb);
    git_treebuilder_free(tb);
    if (rc != 0 || it->find('\0') != std::string::npos) return "";
    child = tree_id;
    mode = GIT_FILEMODE_TREE;
  }
  git_tree* tree = nullptr;
  if (git_tree_lookup(&tree, r.repo, &child) != 0) return "";
  const git_commit* parents[1] = {parent};
  int rc = git_commit_create(&commit_id, r.repo, nullptr, r.sig, r.sig, nullptr, "fuzz", tree,
                             parent ? 1 : 0, parents);
  git_tree_free(tree);
  if (rc != 0) return "";
  return git_oid_tostr_s(&commit_id);
}

void check(const std::vector<agent::checkout::AddedText>& texts, std::size_t new_lines) {
  for (const auto& t : texts) {
    std::size_t count = static_cast<std::size_t>(std::count(t.text.begin(), t.text.end(), '\n'));
    bool ok = count == t.lines.size();
    for (std::size_t i = 0; ok && i < t.lines.size(); ++i)
      ok = t.lines[i] >= 1 && static_cast<std::size_t>(t.lines[i]) <= new_lines + 1 &&
           (i == 0 || t.lines[i] > t.lines[i - 1]);
    if (!ok) {
      std::fprintf(stderr, "added lines of %s: %zu text lines, %zu numbers, or numbers out of order\n",
                   t.path.c_str(), count, t.lines.size());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view part[4];
  for (int i = 0; i < 4; ++i) {
    auto z = i < 3 ? in.find('\0') : std::string_view::npos;
    part[i] = in.substr(0, z);
    in = z == std::string_view::npos ? std::string_view() : in.substr(z + 1);
  }
  Repo& r = repo();
  std::string old_path(part[0].empty() ? std::string_view("a.txt") : part[0]);
  std::string new_path(part[2].empty() ? std::string_view(old_path) : part[2]);
  std::string c1 = commit(old_path, part[1], nullptr);
  git_commit* first = nullptr;
  git_oid oid;
  if (!c1.empty() && git_oid_fromstr(&oid, c1.c_str()) == 0 && git_commit_lookup(&first, r.repo, &oid) == 0) {
    std::string c2 = commit(new_path, part[3], first);
    if (!c2.empty()) {
      std::size_t new_lines = static_cast<std::size_t>(std::count(part[3].begin(), part[3].end(), '\n'));
      try {
        auto folder = new_path.substr(0, new_path.find('/'));
        (void)agent::checkout::diff_files(r.repo, c1, c2);
        (void)agent::checkout::diff_files(r.repo, "", c2, agent::checkout::FolderFilter({folder}));
        check(agent::checkout::added_lines(r.repo, c1, c2), new_lines);
        check(agent::checkout::added_lines_per_commit(r.repo, c1, c2), new_lines);
        (void)agent::checkout::merge_base(r.repo, c1, c2);
        (void)agent::checkout::read_file(r.repo, c2, new_path);
      } catch (const agent::util::Error&) {
      }
    }
  }
  git_commit_free(first);
  git_mempack_reset(r.mempack);
  return 0;
}
