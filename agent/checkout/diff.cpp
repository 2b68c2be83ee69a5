#include "agent/checkout/diff.h"

#include <algorithm>

#include "agent/checkout/git.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace {

std::string normalise_folder(std::string_view f) {
  while (!f.empty() && f.front() == '/') f.remove_prefix(1);
  while (!f.empty() && f.back() == '/') f.remove_suffix(1);
  if (f == ".") return "";
  return std::string(f);
}

TreePtr tree_of(git_repository* repo, std::string_view commit) {
  if (commit.empty()) return nullptr;  // the empty tree
  CommitPtr c = lookup_commit(repo, commit);
  git_tree* t = nullptr;
  check(git_commit_tree(&t, c.get()), "tree of " + std::string(commit));
  return TreePtr(t);
}

char status_letter(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED: return 'A';
    case GIT_DELTA_DELETED: return 'D';
    case GIT_DELTA_RENAMED: return 'R';
    case GIT_DELTA_COPIED: return 'C';
    case GIT_DELTA_TYPECHANGE: return 'T';
    default: return 'M';
  }
}

// One tree-to-tree diff with zero context lines (only what changed), renames found, restricted
// to the folders; blobs over max_size count as binary, so they are never loaded as text.
DiffPtr tree_diff(git_repository* repo, std::string_view from, std::string_view to, const FolderFilter& filter,
                  std::uint64_t max_size) {
  TreePtr old_tree = tree_of(repo, from);
  TreePtr new_tree = tree_of(repo, to);
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = 0;
  opts.interhunk_lines = 0;
  opts.max_size = static_cast<git_off_t>(max_size);
  StrArray paths(filter.folders());
  if (!filter.all()) opts.pathspec = *paths.get();
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo, old_tree.get(), new_tree.get(), &opts),
        "diff " + std::string(from.empty() ? "(empty)" : from) + ".." + std::string(to));
  DiffPtr diff(raw);
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  check(git_diff_find_similar(diff.get(), &find), "rename detection");
  return diff;
}

// Calls `on_line(path, new_lineno, content)` for every added line of every text file.
template <class OnFile, class OnLine>
void walk_added(git_diff* diff, const FolderFilter& filter, OnFile on_file, OnLine on_line) {
  std::size_t n = git_diff_num_deltas(diff);
  for (std::size_t i = 0; i < n; ++i) {
    git_patch* raw = nullptr;
    check(git_patch_from_diff(&raw, diff, i), "patch");
    PatchPtr patch(raw);
    if (!patch) continue;  // unchanged or binary without data
    const git_diff_delta* delta = git_patch_get_delta(patch.get());
    std::string path = delta->new_file.path ? delta->new_file.path : "";
    if (!filter.contains(path) && !filter.contains(delta->old_file.path ? delta->old_file.path : "")) continue;
    bool binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
    on_file(*delta, binary);
    if (binary || delta->status == GIT_DELTA_DELETED) continue;
    std::size_t hunks = git_patch_num_hunks(patch.get());
    for (std::size_t h = 0; h < hunks; ++h) {
      int lines = git_patch_num_lines_in_hunk(patch.get(), h);
      for (int l = 0; l < lines; ++l) {
        const git_diff_line* line = nullptr;
        check(git_patch_get_line_in_hunk(&line, patch.get(), h, static_cast<std::size_t>(l)), "diff line");
        if (line->origin == GIT_DIFF_LINE_ADDITION)
          on_line(path, line->new_lineno, std::string_view(line->content, line->content_len));
      }
    }
  }
}

}  // namespace

bool FileDiff::adds_line(int line) const {
  auto it = std::upper_bound(added.begin(), added.end(), line,
                             [](int l, const LineRange& r) { return l < r.start; });
  if (it == added.begin()) return false;
  --it;
  return line < it->start + it->count;
}

int AddedText::line_at(int text_line) const {
  if (text_line < 1 || static_cast<std::size_t>(text_line) > lines.size()) return 0;
  return lines[static_cast<std::size_t>(text_line) - 1];
}

FolderFilter::FolderFilter(const std::vector<std::string>& folders) {
  for (const auto& f : folders) {
    std::string n = normalise_folder(f);
    if (n.empty()) {  // "/" selects everything
      prefixes_.clear();
      return;
    }
    prefixes_.push_back(std::move(n));
  }
  std::sort(prefixes_.begin(), prefixes_.end());
  prefixes_.erase(std::unique(prefixes_.begin(), prefixes_.end()), prefixes_.end());
}

bool FolderFilter::contains(std::string_view path) const {
  if (prefixes_.empty()) return true;
  for (const auto& p : prefixes_) {
    if (path.size() < p.size() || path.compare(0, p.size(), p) != 0) continue;
    if (path.size() == p.size() || path[p.size()] == '/') return true;
  }
  return false;
}

std::optional<std::string> merge_base(git_repository* repo, std::string_view a, std::string_view b) {
  git_oid oa = *git_commit_id(lookup_commit(repo, a).get());
  git_oid ob = *git_commit_id(lookup_commit(repo, b).get());
  git_oid out{};
  int rc = git_merge_base(&out, repo, &oa, &ob);
  if (rc == GIT_ENOTFOUND) return std::nullopt;
  check(rc, "merge base of " + std::string(a) + " and " + std::string(b));
  return to_hex(out);
}

std::vector<FileDiff> diff_files(git_repository* repo, std::string_view from, std::string_view to,
                                 const FolderFilter& filter) {
  DiffPtr diff = tree_diff(repo, from, to, filter, DiffLimits{}.max_file_bytes);
  std::vector<FileDiff> out;
  walk_added(
      diff.get(), filter,
      [&](const git_diff_delta& d, bool binary) {
        FileDiff f;
        f.old_path = d.old_file.path ? d.old_file.path : "";
        f.new_path = d.new_file.path ? d.new_file.path : "";
        f.status = status_letter(d.status);
        f.binary = binary;
        out.push_back(std::move(f));
      },
      [&](const std::string&, int lineno, std::string_view) {
        auto& ranges = out.back().added;
        if (!ranges.empty() && ranges.back().start + ranges.back().count == lineno)
          ++ranges.back().count;
        else
          ranges.push_back({lineno, 1});
      });
  return out;
}

std::vector<std::string> commits_between(git_repository* repo, std::string_view base, std::string_view head,
                                         std::size_t max_commits) {
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo), "revwalk");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  git_oid h = *git_commit_id(lookup_commit(repo, head).get());
  check(git_revwalk_push(walk.get(), &h), "revwalk from " + std::string(head));
  if (!base.empty()) {
    git_oid b = *git_commit_id(lookup_commit(repo, base).get());
    check(git_revwalk_hide(walk.get(), &b), "revwalk hiding " + std::string(base));
  }
  std::vector<std::string> out;
  git_oid oid{};
  int rc = 0;
  while ((rc = git_revwalk_next(&oid, walk.get())) == 0) {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo, &oid), "commit " + to_hex(oid));
    CommitPtr commit(c);
    if (git_commit_parentcount(commit.get()) > 1) continue;
    out.push_back(to_hex(oid));
  }
  if (rc != GIT_ITEROVER) check(rc, "revwalk");
  // Keep the newest commits when there are too many: they are what the MR ends with.
  if (out.size() > max_commits) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(max_commits));
  return out;
}

std::vector<AddedText> added_lines(git_repository* repo, std::string_view from, std::string_view to,
                                   const FolderFilter& filter, const DiffLimits& limits) {
  DiffPtr diff = tree_diff(repo, from, to, filter, limits.max_file_bytes);
  std::vector<AddedText> out;
  std::string commit(to);
  walk_added(
      diff.get(), filter,
      [&](const git_diff_delta& d, bool) { out.push_back(AddedText{d.new_file.path ? d.new_file.path : "", commit, {}, {}}); },
      [&](const std::string&, int lineno, std::string_view content) {
        AddedText& t = out.back();
        t.text.append(content);
        if (content.empty() || content.back() != '\n') t.text += '\n';
        t.lines.push_back(lineno);
      });
  out.erase(std::remove_if(out.begin(), out.end(), [](const AddedText& t) { return t.lines.empty(); }), out.end());
  return out;
}

std::vector<AddedText> added_lines_per_commit(git_repository* repo, std::string_view base, std::string_view head,
                                              const FolderFilter& filter, const DiffLimits& limits) {
  std::vector<AddedText> out;
  for (const std::string& sha : commits_between(repo, base, head, limits.max_commits)) {
    CommitPtr commit = lookup_commit(repo, sha);
    std::string parent;
    if (git_commit_parentcount(commit.get()) == 1) parent = to_hex(*git_commit_parent_id(commit.get(), 0));
    auto part = added_lines(repo, parent, sha, filter, limits);
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  return out;
}

std::vector<TreeFile> list_files(git_repository* repo, std::string_view commit, const FolderFilter& filter) {
  TreePtr tree = tree_of(repo, commit);
  git_odb* raw = nullptr;
  check(git_repository_odb(&raw, repo), "object database");
  OdbPtr odb(raw);
  struct Walk {
    const FolderFilter* filter;
    git_odb* odb;
    std::vector<TreeFile> files;
    std::string error;
  } walk{&filter, odb.get(), {}, {}};
  int rc = git_tree_walk(
      tree.get(), GIT_TREEWALK_PRE,
      [](const char* root, const git_tree_entry* entry, void* payload) -> int {
        auto* w = static_cast<Walk*>(payload);
        std::string path = std::string(root) + git_tree_entry_name(entry);
        if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
          // Descend only into folders that are, or lead to, a selected folder.
          if (w->filter->all() || w->filter->contains(path)) return 0;
          for (const auto& f : w->filter->folders())
            if (f.size() > path.size() && f.compare(0, path.size(), path) == 0 && f[path.size()] == '/') return 0;
          return 1;
        }
        git_filemode_t mode = git_tree_entry_filemode(entry);
        if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) return 0;
        if (!w->filter->contains(path)) return 0;
        std::size_t size = 0;
        git_object_t type{};
        if (git_odb_read_header(&size, &type, w->odb, git_tree_entry_id(entry)) < 0) {
          w->error = path + ": " + last_git_error();
          return -1;
        }
        w->files.push_back(TreeFile{path, *git_tree_entry_id(entry), size, mode == GIT_FILEMODE_BLOB_EXECUTABLE});
        return 0;
      },
      &walk);
  if (!walk.error.empty()) throw util::RuntimeError("cannot read " + walk.error);
  check(rc, "tree walk of " + std::string(commit));
  std::sort(walk.files.begin(), walk.files.end(), [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
  return std::move(walk.files);
}

std::optional<std::string> read_file(git_repository* repo, std::string_view commit, std::string_view path) {
  TreePtr tree = tree_of(repo, commit);
  git_tree_entry* raw = nullptr;
  std::string p(path);
  int rc = git_tree_entry_bypath(&raw, tree.get(), p.c_str());
  if (rc == GIT_ENOTFOUND) return std::nullopt;
  check(rc, "lookup of " + p + " in " + std::string(commit));
  TreeEntryPtr entry(raw);
  // A symbolic link's blob is a path, not the file's content.
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB || git_tree_entry_filemode(entry.get()) == GIT_FILEMODE_LINK)
    return std::nullopt;
  return read_blob(repo, *git_tree_entry_id(entry.get()));
}

std::string read_blob(git_repository* repo, const git_oid& blob) {
  git_blob* raw = nullptr;
  check(git_blob_lookup(&raw, repo, &blob), "blob " + to_hex(blob));
  BlobPtr b(raw);
  const char* data = static_cast<const char*>(git_blob_rawcontent(b.get()));
  return std::string(data, static_cast<std::size_t>(git_blob_rawsize(b.get())));
}

}  // namespace agent::checkout
