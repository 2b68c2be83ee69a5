#include "agent/checkout/raw_tree.h"

#include <algorithm>
#include <cstring>

namespace agent::checkout {

git_object_t RawTree::Entry::type() const {
  if ((mode & 0170000u) == 0160000u) return GIT_OBJECT_COMMIT;
  if (is_tree()) return GIT_OBJECT_TREE;
  return GIT_OBJECT_BLOB;
}

git_filemode_t RawTree::Entry::filemode() const {
  const std::uint32_t kind = mode & 0170000u;
  if (kind == 0040000u) return GIT_FILEMODE_TREE;
  if (mode & 0100u) return GIT_FILEMODE_BLOB_EXECUTABLE;
  if (kind == 0160000u) return GIT_FILEMODE_COMMIT;
  if (kind == 0120000u) return GIT_FILEMODE_LINK;
  return GIT_FILEMODE_BLOB;
}

std::unique_ptr<RawTree> RawTree::parse(const git_oid& id, std::shared_ptr<const void> owner, std::string_view data,
                                        std::string& error) {
  auto tree = std::make_unique<RawTree>();
  tree->id_ = id;
  const char* p = data.data();
  const char* end = p + data.size();
  tree->entries_.reserve(data.size() / 40 + 1);
  while (p < end) {
    // "<octal mode> <name>\0<20-byte id>"
    Entry e;
    const char* m = p;
    while (p < end && *p >= '0' && *p <= '7' && p - m < 7) e.mode = e.mode * 8 + static_cast<std::uint32_t>(*p++ - '0');
    if (p == m || p == end || *p != ' ') {
      error = "tree " + to_hex(id) + ": a malformed entry mode at byte " + std::to_string(m - data.data());
      return nullptr;
    }
    const char* name = ++p;
    const char* nul = static_cast<const char*>(std::memchr(name, '\0', static_cast<std::size_t>(end - name)));
    if (!nul || nul == name || static_cast<std::size_t>(end - nul - 1) < sizeof(git_oid)) {
      error = "tree " + to_hex(id) + ": a malformed entry at byte " + std::to_string(m - data.data());
      return nullptr;
    }
    e.name = {name, static_cast<std::size_t>(nul - name)};
    e.id = reinterpret_cast<const git_oid*>(nul + 1);
    p = nul + 1 + sizeof(git_oid);
    tree->entries_.push_back(e);
  }
  tree->owner_ = std::move(owner);
  return tree;
}

int RawTree::compare(const Entry& a, const Entry& b) {
  const std::size_t n = std::min(a.name.size(), b.name.size());
  if (const int c = std::memcmp(a.name.data(), b.name.data(), n)) return c;
  unsigned char ca = n < a.name.size() ? static_cast<unsigned char>(a.name[n]) : 0;
  unsigned char cb = n < b.name.size() ? static_cast<unsigned char>(b.name[n]) : 0;
  if (ca == 0 && a.is_tree()) ca = '/';
  if (cb == 0 && b.is_tree()) cb = '/';
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

TreeSource::TreeSource(git_repository* repo, std::size_t cache_bytes)
    : repo_(repo), store_(git_repository_path(repo)), reader_(store_, cache_bytes) {}

RawTreePtr TreeSource::tree(const git_oid& id) {
  PackReader::Object obj = reader_.read(id);
  if (obj.status == PackReader::Status::ok) {
    if (obj.type != GIT_OBJECT_TREE) {
      error_ = to_hex(id) + " is not a tree";
      return nullptr;
    }
    return RawTree::parse(id, std::move(obj.owner), obj.data, error_);
  }
  // Not in a pack this reader maps (a loose object), or an entry it refuses: libgit2 reads it.
  if (!odb_) {
    git_odb* raw = nullptr;
    if (git_repository_odb(&raw, repo_) < 0) {
      error_ = last_git_error();
      return nullptr;
    }
    odb_.reset(raw);
  }
  git_odb_object* raw = nullptr;
  if (git_odb_read(&raw, odb_.get(), &id) < 0) {
    error_ = last_git_error();
    return nullptr;
  }
  std::shared_ptr<git_odb_object> owned(raw, git_odb_object_free);
  if (git_odb_object_type(raw) != GIT_OBJECT_TREE) {
    error_ = to_hex(id) + " is not a tree";
    return nullptr;
  }
  std::string_view data(static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw));
  return RawTree::parse(id, std::move(owned), data, error_);
}

}  // namespace agent::checkout
