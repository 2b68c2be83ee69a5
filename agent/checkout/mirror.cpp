#include "agent/checkout/mirror.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <vector>

#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMarkerKey = "jit.mirror";
constexpr const char* kMarkerValue = "1";
constexpr std::size_t kHashLen = 20;  // SHA-1 pack and index trailers

struct EvpDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// SHA-1 of the first `length` bytes of `file`, or "" when it cannot be read.
std::string sha1_prefix(const fs::path& file, std::uintmax_t length) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::unique_ptr<EVP_MD_CTX, EvpDeleter> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
  std::vector<char> buf(1 << 20);
  while (length > 0) {
    auto want = static_cast<std::streamsize>(std::min<std::uintmax_t>(length, buf.size()));
    in.read(buf.data(), want);
    if (in.gcount() != want) return "";
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(want));
    length -= static_cast<std::uintmax_t>(want);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &md_len);
  return std::string(reinterpret_cast<const char*>(md.data()), md_len);
}

std::string read_bytes(const fs::path& file, std::uintmax_t offset, std::size_t count) {
  std::ifstream in(file, std::ios::binary);
  std::string out(count, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(out.data(), static_cast<std::streamsize>(count));
  return in.gcount() == static_cast<std::streamsize>(count) ? out : "";
}

// A pack ends with the SHA-1 of everything before it; its index ends with the pack's checksum
// and then its own. Checking both catches truncated, overwritten or mismatched files.
std::string check_packs(const fs::path& git_dir) {
  fs::path pack_dir = git_dir / "objects" / "pack";
  std::error_code ec;
  if (!fs::is_directory(pack_dir, ec)) return "";
  for (const auto& entry : fs::directory_iterator(pack_dir, ec)) {
    const fs::path& p = entry.path();
    fs::path other = p;
    if (p.extension() == ".idx") {
      if (!fs::exists(other.replace_extension(".pack"), ec)) return "pack index without pack: " + p.filename().string();
      continue;
    }
    if (p.extension() != ".pack") continue;
    fs::path idx = other.replace_extension(".idx");
    if (!fs::exists(idx, ec)) return "pack without index: " + p.filename().string();
    auto pack_size = fs::file_size(p, ec);
    auto idx_size = fs::file_size(idx, ec);
    if (ec || pack_size < 12 + kHashLen || idx_size < 2 * kHashLen) return "truncated pack " + p.filename().string();
    std::string trailer = read_bytes(p, pack_size - kHashLen, kHashLen);
    if (trailer.empty() || sha1_prefix(p, pack_size - kHashLen) != trailer)
      return "pack checksum mismatch in " + p.filename().string();
    if (read_bytes(idx, idx_size - 2 * kHashLen, kHashLen) != trailer)
      return "pack index does not belong to " + p.filename().string();
    if (sha1_prefix(idx, idx_size - kHashLen) != read_bytes(idx, idx_size - kHashLen, kHashLen))
      return "pack index checksum mismatch for " + p.filename().string();
  }
  return "";
}

// Loose objects are rare in a mirror libgit2 fetched into (it writes packs); read each one,
// which inflates it and verifies its hash.
std::string check_loose_objects(git_repository* repo, const fs::path& git_dir) {
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) < 0) return "object database: " + last_git_error();
  OdbPtr odb(odb_raw);
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(git_dir / "objects", ec)) {
    std::string name = dir.path().filename().string();
    if (name.size() != 2 || !dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(dir.path(), ec)) {
      std::string hex = name + file.path().filename().string();
      git_oid oid{};
      if (hex.size() != GIT_OID_SHA1_HEXSIZE || git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0) continue;
      git_odb_object* obj = nullptr;
      if (git_odb_read(&obj, odb.get(), &oid) < 0) return "corrupt loose object " + hex + ": " + last_git_error();
      git_odb_object_free(obj);
    }
  }
  return "";
}

std::string check_refs(git_repository* repo) {
  git_reference_iterator* it_raw = nullptr;
  if (git_reference_iterator_new(&it_raw, repo) < 0) return "cannot list refs: " + last_git_error();
  ReferenceIteratorPtr it(it_raw);
  git_reference* ref_raw = nullptr;
  int rc = 0;
  while ((rc = git_reference_next(&ref_raw, it.get())) == 0) {
    ReferencePtr ref(ref_raw);
    std::string name = git_reference_name(ref.get());
    git_reference* resolved_raw = nullptr;
    if (git_reference_resolve(&resolved_raw, ref.get()) < 0) return "ref " + name + " does not resolve";
    ReferencePtr resolved(resolved_raw);
    const git_oid* target = git_reference_target(resolved.get());
    git_commit* commit_raw = nullptr;
    if (!target || git_commit_lookup(&commit_raw, repo, target) < 0)
      return "ref " + name + " points to a missing or unreadable commit (" + last_git_error() + ")";
    CommitPtr commit(commit_raw);
    git_tree* tree_raw = nullptr;
    if (git_commit_tree(&tree_raw, commit.get()) < 0) return "tree of " + name + " is missing (" + last_git_error() + ")";
    git_tree_free(tree_raw);
  }
  if (rc != GIT_ITEROVER) return "cannot list refs: " + last_git_error();
  return "";
}

std::string check_shallow(git_repository* repo, const fs::path& git_dir) {
  std::ifstream in(git_dir / "shallow");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    git_oid oid{};
    git_commit* c = nullptr;
    if (line.size() != GIT_OID_SHA1_HEXSIZE || git_oid_fromstrn(&oid, line.data(), line.size()) < 0 ||
        git_commit_lookup(&c, repo, &oid) < 0)
      return "shallow list names a missing commit " + line.substr(0, 40);
    git_commit_free(c);
  }
  return "";
}

RepositoryPtr init_mirror(const fs::path& dir, const std::string& url) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir.parent_path(), ec);
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  git_repository* raw = nullptr;
  check(git_repository_init_ext(&raw, dir.c_str(), &opts), "cannot create git mirror " + dir.string());
  RepositoryPtr repo(raw);
  git_config* cfg_raw = nullptr;
  check(git_repository_config(&cfg_raw, repo.get()), "mirror config");
  ConfigPtr cfg(cfg_raw);
  check(git_config_set_string(cfg.get(), kMarkerKey, kMarkerValue), "mirror config");
  git_remote_create_options ropts = GIT_REMOTE_CREATE_OPTIONS_INIT;
  ropts.repository = repo.get();
  ropts.name = "origin";
  ropts.flags = GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* remote = nullptr;
  check(git_remote_create_with_opts(&remote, url.c_str(), &ropts), "mirror remote");
  git_remote_free(remote);
  return repo;
}

}  // namespace

FileLock::FileLock(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw util::RuntimeError("cannot create lock file " + path.string());
  // Two jobs sharing a cache folder on one runner take turns instead of corrupting the mirror.
  if (::flock(fd_, LOCK_EX) != 0) {
    ::close(fd_);
    throw util::RuntimeError("cannot lock " + path.string());
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string check_mirror(const fs::path& dir, const std::string& url) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "not a folder";
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) < 0) return "not a git repository (" + last_git_error() + ")";
  RepositoryPtr repo(raw);
  git_config* cfg_raw = nullptr;
  if (git_repository_config_snapshot(&cfg_raw, repo.get()) < 0) return "unreadable config";
  ConfigPtr cfg(cfg_raw);
  const char* marker = nullptr;
  if (git_config_get_string(&marker, cfg.get(), kMarkerKey) < 0 || std::string(marker) != kMarkerValue)
    return "not a jit-agent mirror (format marker missing)";
  const char* cached_url = nullptr;
  if (git_config_get_string(&cached_url, cfg.get(), "remote.origin.url") < 0) return "no remote URL";
  if (std::string(cached_url) != url)
    return "it mirrors another remote (" + util::redact_urls(cached_url) + ")";
  for (auto check_fn : {+[](git_repository*, const fs::path& d) { return check_packs(d); },
                        +[](git_repository* r, const fs::path& d) { return check_loose_objects(r, d); },
                        +[](git_repository* r, const fs::path&) { return check_refs(r); },
                        +[](git_repository* r, const fs::path& d) { return check_shallow(r, d); }}) {
    std::string reason = check_fn(repo.get(), dir);
    if (!reason.empty()) return reason;
  }
  return "";
}

Mirror open_mirror(const fs::path& dir, const std::string& url) {
  ensure_libgit2();
  Mirror m;
  m.dir = dir;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    std::string reason = check_mirror(dir, url);
    if (reason.empty()) {
      m.repo = open_repository(dir.string());
      m.state = CacheState::warm;
      return m;
    }
    m.state = CacheState::rebuilt;
    m.rebuild_reason = util::global_redactor().apply(reason);
  }
  m.repo = init_mirror(dir, url);
  return m;
}

void rebuild_mirror(Mirror& mirror, const std::string& url, const std::string& reason) {
  mirror.repo.reset();
  mirror.repo = init_mirror(mirror.dir, url);
  mirror.state = CacheState::rebuilt;
  mirror.rebuild_reason = util::global_redactor().apply(reason);
}

// Refs of earlier pipelines (other MRs, old branches) are dropped beyond a few, newest kept:
// every ref tip is offered to the server as a "have", and libgit2 can send at most 19 of them
// in a shallow fetch (see shallow.h). Their objects stay in the packs.
void prune_refs(git_repository* repo, const std::vector<std::string>& keep, std::size_t max_refs) {
  git_reference_iterator* raw = nullptr;
  if (git_reference_iterator_new(&raw, repo) < 0) return;
  ReferenceIteratorPtr it(raw);
  std::vector<std::pair<git_time_t, std::string>> others;
  git_reference* ref_raw = nullptr;
  while (git_reference_next(&ref_raw, it.get()) == 0) {
    ReferencePtr ref(ref_raw);
    std::string name = git_reference_name(ref.get());
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    git_time_t when = 0;
    git_object* obj = nullptr;
    if (git_reference_peel(&obj, ref.get(), GIT_OBJECT_COMMIT) == 0) {
      when = git_commit_time(reinterpret_cast<git_commit*>(obj));
      git_object_free(obj);
    }
    others.emplace_back(when, name);
  }
  std::size_t room = max_refs > keep.size() ? max_refs - keep.size() : 0;
  if (others.size() <= room) return;
  std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = room; i < others.size(); ++i) git_reference_remove(repo, others[i].second.c_str());
}

bool compact_packs(git_repository* repo, const fs::path& dir, std::size_t max_packs, bool partial) {
  fs::path pack_dir = dir / "objects" / "pack";
  std::error_code ec;
  std::vector<fs::path> packs;
  for (const auto& e : fs::directory_iterator(pack_dir, ec))
    if (e.path().extension() == ".pack") packs.push_back(e.path());
  if (packs.size() <= max_packs) return false;

  git_packbuilder* pb_raw = nullptr;
  check(git_packbuilder_new(&pb_raw, repo), "pack builder");
  std::unique_ptr<git_packbuilder, GitDeleter<git_packbuilder, git_packbuilder_free>> pb(pb_raw);
  git_packbuilder_set_threads(pb.get(), 0);  // one per core
  git_revwalk* walk_raw = nullptr;
  check(git_revwalk_new(&walk_raw, repo), "revwalk");
  RevwalkPtr walk(walk_raw);
  check(git_revwalk_push_glob(walk.get(), "refs/*"), "revwalk over refs");
  check(git_packbuilder_insert_walk(pb.get(), walk.get()), "collecting objects to repack");
  check(git_packbuilder_write(pb.get(), pack_dir.c_str(), 0, nullptr, nullptr), "writing the compacted pack");
  std::string keep = std::string("pack-") + git_packbuilder_name(pb.get());
  for (const auto& pack : packs) {
    if (pack.stem() == keep) continue;
    for (const char* ext : {".pack", ".idx", ".rev", ".keep", ".bitmap", ".promisor"}) {
      fs::path f = pack;
      fs::remove(f.replace_extension(ext), ec);
    }
  }
  if (partial) std::ofstream(pack_dir / (keep + ".promisor"));
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) == 0) {
    OdbPtr odb(odb_raw);
    git_odb_refresh(odb.get());
  }
  return true;
}

int remembered_depth(git_repository* repo) {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo) < 0) return 0;
  ConfigPtr cfg(raw);
  int32_t depth = 0;
  if (git_config_get_int32(&depth, cfg.get(), "jit.depth") < 0) return 0;
  return depth > 0 ? depth : 0;
}

void remember_depth(git_repository* repo, int depth) {
  git_config* raw = nullptr;
  if (git_repository_config(&raw, repo) < 0) return;
  ConfigPtr cfg(raw);
  git_config_set_int32(cfg.get(), "jit.depth", depth);
}

}  // namespace agent::checkout
