#include "agent/checkout/raw_tree.h"

#include <algorithm>
#include <cstring>
#include <fstream>

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

namespace {

/// How many bytes `a` and `b` begin with in common. (Blocks of 256 bytes with memcmp, which
/// is vectorized, then 8 bytes, then single bytes: the root trees compared are tens of KiB.)
std::size_t common_prefix(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i + 256 <= n && std::memcmp(a.data() + i, b.data() + i, 256) == 0) i += 256;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) break;
  }
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

/// How many bytes `a` and `b` end with in common, at most `limit`.
std::size_t common_suffix(std::string_view a, std::string_view b, std::size_t limit) {
  limit = std::min({limit, a.size(), b.size()});
  const char* x = a.data() + a.size();
  const char* y = b.data() + b.size();
  std::size_t i = 0;
  while (i + 256 <= limit && std::memcmp(x - i - 256, y - i - 256, 256) == 0) i += 256;
  for (; i + 8 <= limit; i += 8) {
    std::uint64_t u, v;
    std::memcpy(&u, x - i - 8, 8);
    std::memcpy(&v, y - i - 8, 8);
    if (u != v) break;
  }
  while (i < limit && x[-1 - static_cast<std::ptrdiff_t>(i)] == y[-1 - static_cast<std::ptrdiff_t>(i)]) ++i;
  return i;
}

}  // namespace

std::unique_ptr<RawTree> RawTree::parse(const git_oid& id, std::shared_ptr<const void> owner, std::string_view data,
                                        std::string& error, const RawTree* like) {
  auto tree = std::make_unique<RawTree>();
  tree->id_ = id;
  tree->data_ = data;
  if (data.size() > UINT32_MAX) {
    error = "tree " + to_hex(id) + ": " + std::to_string(data.size()) + " bytes";
    return nullptr;
  }
  const char* base = data.data();
  const char* p = base;
  const char* end = p + data.size();
  auto& entries = tree->entries_;
  // Entries [from, to) of `like`, moved to the same bytes `shift` bytes further on in this tree.
  auto take = [&](std::size_t from, std::size_t to, std::ptrdiff_t shift) {
    const std::size_t at = entries.size();
    entries.resize(at + (to - from));
    const std::ptrdiff_t rebase = base - like->data_.data() + shift;
    const Entry* src = like->entries_.data() + from;
    Entry* dst = entries.data() + at;
    for (std::size_t i = 0; i < to - from; ++i) {
      const Entry& e = src[i];
      dst[i].name = {e.name.data() + rebase, e.name.size()};
      dst[i].id = reinterpret_cast<const git_oid*>(reinterpret_cast<const char*>(e.id) + rebase);
      dst[i].mode = e.mode;
      dst[i].start = static_cast<std::uint32_t>(static_cast<std::ptrdiff_t>(e.start) + shift);
    }
  };
  std::size_t suffix = 0;  // bytes both end with, after those parsed or taken as the prefix
  std::ptrdiff_t shift = 0;
  if (like) {
    tree->has_like_ = true;
    tree->like_ = like->id_;
    entries.reserve(like->entries_.size() + 8);
    const std::size_t prefix = common_prefix(data, like->data_);
    const auto& le = like->entries_;
    // The entries of `like` that end within the common prefix: those before the first entry
    // that starts at or after it, less one unless that one starts exactly at its end.
    std::size_t k = static_cast<std::size_t>(
        std::upper_bound(le.begin(), le.end(), prefix, [](std::size_t v, const Entry& e) { return v < e.start; }) - le.begin());
    if (k > 0) {
      const std::size_t last_end = k < le.size() ? le[k].start : like->data_.size();
      if (last_end > prefix) --k;
    }
    take(0, k, 0);
    tree->same_prefix_ = k;
    p = base + (k < le.size() ? le[k].start : like->data_.size());
    const std::size_t taken = static_cast<std::size_t>(p - base);
    suffix = common_suffix(data.substr(taken), like->data_.substr(taken), SIZE_MAX);
    shift = static_cast<std::ptrdiff_t>(data.size()) - static_cast<std::ptrdiff_t>(like->data_.size());
  } else {
    entries.reserve(data.size() / 40 + 1);
  }
  while (p < end) {
    const std::size_t at = static_cast<std::size_t>(p - base);
    if (suffix && at >= data.size() - suffix) {
      // Past here both trees hold the same bytes: where `like` has an entry boundary at the
      // same place, its remaining entries are this tree's.
      const std::uint32_t like_at = static_cast<std::uint32_t>(static_cast<std::ptrdiff_t>(at) - shift);
      const auto& le = like->entries_;
      auto it = std::lower_bound(le.begin(), le.end(), like_at, [](const Entry& e, std::uint32_t v) { return e.start < v; });
      if (it != le.end() && it->start == like_at) {
        tree->same_suffix_ = static_cast<std::size_t>(le.end() - it);
        take(static_cast<std::size_t>(it - le.begin()), le.size(), shift);
        break;
      }
    }
    // "<octal mode> <name>\0<20-byte id>"
    Entry e;
    e.start = static_cast<std::uint32_t>(at);
    const char* m = p;
    // Any number of octal digits up to 0xFFFF, as libgit2 reads them (git writes 5 or 6).
    while (p < end && *p >= '0' && *p <= '7' && e.mode <= 0xFFFFu) e.mode = e.mode * 8 + static_cast<std::uint32_t>(*p++ - '0');
    if (p == m || p == end || *p != ' ' || e.mode > 0xFFFFu) {
      error = "tree " + to_hex(id) + ": a malformed entry mode at byte " + std::to_string(at);
      return nullptr;
    }
    const char* name = ++p;
    const char* nul = static_cast<const char*>(std::memchr(name, '\0', static_cast<std::size_t>(end - name)));
    if (!nul || nul == name || static_cast<std::size_t>(end - nul - 1) < sizeof(git_oid)) {
      error = "tree " + to_hex(id) + ": a malformed entry at byte " + std::to_string(at);
      return nullptr;
    }
    e.name = {name, static_cast<std::size_t>(nul - name)};
    e.id = reinterpret_cast<const git_oid*>(nul + 1);
    p = nul + 1 + sizeof(git_oid);
    entries.push_back(e);
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
    : repo_(repo), store_(PackStore::open(git_repository_path(repo))), reader_(*store_, cache_bytes) {
  const std::filesystem::path git_dir(git_repository_path(repo));
  std::error_code ec;
  grafted_ = std::filesystem::exists(git_dir / "info" / "grafts", ec);
  std::ifstream shallow(git_dir / "shallow");
  for (std::string line; std::getline(shallow, line);) {
    git_oid id;
    if (git_oid_fromstrn(&id, line.data(), line.size()) == 0) shallow_.insert(id);
  }
}

bool TreeSource::read(const git_oid& id, git_object_t want, std::shared_ptr<const void>& owner, std::string_view& data) {
  const char* what = want == GIT_OBJECT_TREE ? "tree" : "commit";
  PackReader::Object obj = reader_.read(id);
  if (obj.status == PackReader::Status::ok) {
    if (obj.type != want) {
      error_ = to_hex(id) + " is not a " + what;
      return false;
    }
    owner = std::move(obj.owner);
    data = obj.data;
    return true;
  }
  // Not in a pack this reader maps (a loose object), or an entry it refuses: libgit2 reads it.
  if (!odb_) {
    git_odb* raw = nullptr;
    if (git_repository_odb(&raw, repo_) < 0) {
      error_ = last_git_error();
      return false;
    }
    odb_.reset(raw);
  }
  git_odb_object* raw = nullptr;
  if (git_odb_read(&raw, odb_.get(), &id) < 0) {
    error_ = last_git_error();
    return false;
  }
  std::shared_ptr<git_odb_object> owned(raw, git_odb_object_free);
  if (git_odb_object_type(raw) != want) {
    error_ = to_hex(id) + " is not a " + what;
    return false;
  }
  data = {static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw)};
  owner = std::move(owned);
  return true;
}

RawTreePtr TreeSource::tree(const git_oid& id, const RawTree* like) {
  std::shared_ptr<const void> owner;
  std::string_view data;
  if (!read(id, GIT_OBJECT_TREE, owner, data)) return nullptr;
  return RawTree::parse(id, std::move(owner), data, error_, like);
}

bool TreeSource::commit(const git_oid& id, git_oid& tree, std::optional<git_oid>& first_parent) {
  first_parent.reset();
  if (grafted_) {  // replaced parents: as libgit2 resolves them
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo_, &id) < 0) {
      error_ = last_git_error();
      return false;
    }
    CommitPtr commit(c);
    tree = *git_commit_tree_id(commit.get());
    if (git_commit_parentcount(commit.get()) > 0) first_parent = *git_commit_parent_id(commit.get(), 0);
    return true;
  }
  std::shared_ptr<const void> owner;
  std::string_view data;
  if (!read(id, GIT_OBJECT_COMMIT, owner, data)) return false;
  // "tree <hex>\n", then "parent <hex>\n" for each parent.
  constexpr std::size_t kHex = 40;
  auto field = [&](std::string_view name, std::size_t at, git_oid& out) {
    return data.size() >= at + name.size() + kHex + 1 && data.substr(at, name.size()) == name &&
           data[at + name.size() + kHex] == '\n' && git_oid_fromstrn(&out, data.data() + at + name.size(), kHex) == 0;
  };
  if (!field("tree ", 0, tree)) {
    error_ = "commit " + to_hex(id) + ": no tree line";
    return false;
  }
  git_oid parent;
  if (!shallow_.contains(id) && field("parent ", 5 + kHex + 1, parent)) first_parent = parent;
  return true;
}

}  // namespace agent::checkout
