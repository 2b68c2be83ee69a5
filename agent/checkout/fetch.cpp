#include "agent/checkout/fetch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "agent/checkout/diff.h"
#include "agent/checkout/filter_transport.h"
#include "agent/checkout/git.h"
#include "agent/checkout/mirror.h"
#include "agent/checkout/partial.h"
#include "agent/checkout/shallow.h"
#include "agent/checkout/transport.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

constexpr int kDefaultDepthWithBase = 20;
constexpr int kDeepenFactor = 4;
constexpr std::size_t kMaxRefs = 12;
constexpr std::size_t kMaxPacks = 16;
// Files and folders of one commit's tree, repeated subtrees expanded (the largest public
// monorepos hold a few million).
constexpr std::uint64_t kMaxTreeEntries = 5'000'000;

/// A cached mirror turned out unusable while fetching into it: rebuild and try once more.
class CorruptMirror : public util::RuntimeError {
 public:
  using util::RuntimeError::RuntimeError;
};

bool is_transport_failure(int rc) {
  const git_error* e = git_error_last();
  int klass = e ? e->klass : 0;
  return rc == GIT_EAUTH || rc == GIT_ECERTIFICATE || klass == GIT_ERROR_NET || klass == GIT_ERROR_HTTP ||
         klass == GIT_ERROR_SSL || klass == GIT_ERROR_CALLBACK;
}

bool has_object(git_repository* repo, const std::string& sha) {
  git_oid oid{};
  if (sha.size() != GIT_OID_SHA1_HEXSIZE || git_oid_fromstrn(&oid, sha.data(), sha.size()) < 0) return false;
  git_odb* raw = nullptr;
  if (git_repository_odb(&raw, repo) < 0) return false;
  OdbPtr odb(raw);
  return git_odb_exists(odb.get(), &oid) == 1;
}

std::string resolve_ref(git_repository* repo, const std::string& ref) {
  git_oid oid{};
  if (git_reference_name_to_id(&oid, repo, ref.c_str()) < 0) return "";
  git_object* peeled = nullptr;
  git_object* obj = nullptr;
  if (git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) < 0) return "";
  ObjectPtr owned(obj);
  if (git_object_peel(&peeled, owned.get(), GIT_OBJECT_COMMIT) < 0) return "";
  ObjectPtr commit(peeled);
  return to_hex(*git_object_id(commit.get()));
}

class Fetcher {
 public:
  Fetcher(const FetchRequest& req, Mirror& mirror, FetchResult& result)
      : req_(req), mirror_(mirror), result_(result),
        proxy_(proxy_for(req.remote.url, req.remote.proxy, req.remote.no_proxy)) {
    auth_.username = req.remote.username;
    auth_.token = req.remote.token;
    proxy_opts_.type = proxy_.empty() ? GIT_PROXY_NONE : GIT_PROXY_SPECIFIED;
    proxy_opts_.url = proxy_.empty() ? nullptr : proxy_.c_str();
  }

  void run() {
    git_repository* repo = mirror_.repo.get();
    // Sparse requests fetch commits and trees only, then the blobs that will be read; a partial
    // mirror stays partial. (Fetching whole commits into it instead would need a pack without
    // thin deltas, and then the server re-sends every blob of a shallow commit's tree.)
    auth_.want_filter = !req_.folders.empty() || is_partial(repo);
    if (!req_.head_ref.empty()) specs_.push_back("+" + req_.head_ref + ":" + req_.head_ref);
    if (!req_.base_ref.empty()) specs_.push_back("+" + req_.base_ref + ":" + req_.base_ref);
    if (req_.head_ref.empty() && !req_.head_sha.empty()) specs_.push_back("+" + req_.head_sha + ":refs/jit/head");
    if (req_.base_ref.empty() && !req_.base_sha.empty()) specs_.push_back("+" + req_.base_sha + ":refs/jit/base");
    bool has_base = !req_.base_ref.empty() || !req_.base_sha.empty();
    std::vector<std::string> keep;
    for (const std::string& ref : {req_.head_ref, req_.base_ref}) if (!ref.empty()) keep.push_back(ref);
    prune_refs(repo, keep, kMaxRefs);

    // A complete (non-shallow) mirror stays complete: fetching with a depth would cut it.
    bool complete = mirror_.state == CacheState::warm && !git_repository_is_shallow(repo) && has_refs(repo);
    // A cold mirror starts as deep as the last cold run of this project needed. A warm one starts
    // shallow: the history it has already is not fetched again, only the window of new commits
    // (a deeper window costs re-sent objects, see shallow.h).
    int depth = req_.depth > 0 ? req_.depth
                : !has_base    ? 1
                : mirror_.state == CacheState::warm ? kDefaultDepthWithBase
                                                    : std::max(kDefaultDepthWithBase, remembered_depth(repo));
    if (complete) depth = 0;
    if (req_.full_history) depth = git_repository_is_shallow(repo) == 1 ? GIT_FETCH_DEPTH_UNSHALLOW : 0;
    fetch_specs(depth);

    result_.head_sha = resolve_wanted(req_.head_ref, req_.head_sha, "refs/jit/head", depth);
    if (has_base) result_.base_sha = resolve_wanted(req_.base_ref, req_.base_sha, "refs/jit/base", depth);
    if (has_base) find_merge_base(depth);
    result_.depth = depth;

    // Every later step walks the head's tree (blobs to materialise, changed and listed files, the
    // checkout): a tree that repeats subtrees into billions of paths is refused here, in time
    // linear in its distinct trees.
    if (expanded_tree_size(repo, result_.head_sha, kMaxTreeEntries) > kMaxTreeEntries)
      throw util::RuntimeError("commit " + result_.head_sha + ": its tree holds more than " +
                               std::to_string(kMaxTreeEntries) +
                               " files and folders once repeated subtrees are expanded (a tree bomb?): not scanned");
    if (is_partial(repo)) materialize_blobs(req_.folders);
    Materialized what(is_partial(repo) ? req_.folders : std::vector<std::string>{});
    if (std::string problem = check_commit_objects(repo, result_.head_sha, what); !problem.empty())
      throw CorruptMirror(problem);
    result_.shallow = git_repository_is_shallow(repo) == 1;
    result_.partial = is_partial(repo);
    if (compact_packs(repo, mirror_.dir, kMaxPacks, result_.partial)) spdlog::debug("git cache {} compacted into one pack", mirror_.dir.string());
  }

 private:
  static bool has_refs(git_repository* repo) {
    git_reference_iterator* raw = nullptr;
    if (git_reference_iterator_new(&raw, repo) < 0) return false;
    ReferenceIteratorPtr it(raw);
    const char* name = nullptr;
    return git_reference_next_name(&name, it.get()) == 0;
  }

  void fetch_specs(int depth) {
    git_remote* raw = nullptr;
    check(git_remote_lookup(&raw, mirror_.repo.get(), "origin"), "mirror remote");
    RemotePtr remote(raw);
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    opts.callbacks.credentials = credentials_callback;
    opts.callbacks.payload = &auth_;
    // libgit2 only counts received bytes when someone listens to the transfer progress.
    opts.callbacks.transfer_progress = [](const git_indexer_progress*, void*) { return 0; };
    opts.depth = depth;
    opts.callbacks.transport = filtering_transport;  // libgit2's HTTP, plus `filter blob:none` on request
    opts.prune = GIT_FETCH_NO_PRUNE;
    opts.update_fetchhead = 0;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    // Only proxies from the given environment are used; libgit2 never reads it behind our back.
    opts.proxy_opts = proxy_opts_;
    StrArray specs(specs_);
    auth_.calls = 0;
    auth_.refused = false;
    auth_.filtered = false;
    auto packs_before = list_packs(mirror_.dir);
    auto start = std::chrono::steady_clock::now();
    ShallowMask shallow(mirror_.repo.get(), mirror_.dir, depth > 0 && has_refs(mirror_.repo.get()));
    int rc = git_remote_fetch(remote.get(), specs.get(), &opts, nullptr);
    result_.credential_requests += auth_.calls;
    if (rc >= 0) masked_ += shallow.finish();
    if (rc < 0) {
      std::string message = describe_remote_error(rc, auth_, req_.remote.url, "fetching");
      if (!is_transport_failure(rc) && mirror_.state == CacheState::warm) throw CorruptMirror(message);
      throw util::RuntimeError(message);
    }
    if (auth_.filtered && !is_partial(mirror_.repo.get())) mark_partial(mirror_.repo.get());
    if (is_partial(mirror_.repo.get())) mark_promisor_packs(mirror_.dir, packs_before);
    const git_indexer_progress* st = git_remote_stats(remote.get());
    result_.received_objects += st->received_objects;
    result_.received_bytes += st->received_bytes;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::debug("fetched {} objects ({} bytes, {} local) at depth {} in {:.2f}s from {}", st->received_objects,
                  st->received_bytes, st->local_objects, depth, secs, util::redact_urls(req_.remote.url));
  }

  // The commit for a (ref, sha) pair: the sha when given (fetched by id when the ref has moved
  // on since the event), else what the ref points to.
  std::string resolve_wanted(const std::string& ref, const std::string& sha, const char* local_ref, int depth) {
    git_repository* repo = mirror_.repo.get();
    if (!sha.empty()) {
      if (!has_object(repo, sha)) {
        std::string spec = "+" + sha + ":" + local_ref;
        if (std::find(specs_.begin(), specs_.end(), spec) == specs_.end()) specs_.push_back(spec);
        fetch_specs(depth);
      }
      if (!has_object(repo, sha))
        throw util::RuntimeError("commit " + sha + " not found on " + util::redact_urls(req_.remote.url) +
                                 (ref.empty() ? "" : " (nor on " + ref + ")"));
      return sha;
    }
    std::string resolved = resolve_ref(repo, ref);
    if (resolved.empty()) throw util::RuntimeError(ref + " not found on " + util::redact_urls(req_.remote.url));
    return resolved;
  }

  // Deepen step by step (x4) until the merge base is present, bounded, then fetch everything.
  void find_merge_base(int& depth) {
    git_repository* repo = mirror_.repo.get();
    while (true) {
      if (auto mb = merge_base(repo, result_.head_sha, result_.base_sha)) {
        result_.merge_base = *mb;
        if (depth > kDefaultDepthWithBase && depth != GIT_FETCH_DEPTH_UNSHALLOW) remember_depth(repo, depth);
        return;
      }
      if (!git_repository_is_shallow(repo)) return;  // complete history: unrelated branches
      if (result_.deepen_rounds < req_.max_deepen_rounds) {
        depth = depth * kDeepenFactor;
      } else if (!result_.unshallowed) {
        depth = GIT_FETCH_DEPTH_UNSHALLOW;
        result_.unshallowed = true;
      } else {
        return;
      }
      ++result_.deepen_rounds;
      spdlog::debug("merge base of {} and {} not fetched yet; deepening to {}", result_.head_sha.substr(0, 12),
                    result_.base_sha.substr(0, 12), depth == GIT_FETCH_DEPTH_UNSHALLOW ? std::string("full history") : std::to_string(depth));
      fetch_specs(depth);
    }
  }

  // The blobs reading `folders` of the head (and diffing the MR) needs, fetched by id.
  void materialize_blobs(const std::vector<std::string>& folders) {
    git_repository* repo = mirror_.repo.get();
    auto blobs = missing_blobs(repo, result_.head_sha, result_.merge_base, Materialized(folders));
    if (blobs.empty()) return;
    auto start = std::chrono::steady_clock::now();
    std::size_t n = fetch_blobs(mirror_.dir, req_.remote.url, auth_, proxy_opts_, blobs);
    result_.credential_requests += auth_.calls;
    result_.received_objects += n;
    git_odb* raw = nullptr;
    if (git_repository_odb(&raw, repo) == 0) {
      OdbPtr odb(raw);
      git_odb_refresh(odb.get());
    }
    spdlog::debug("fetched {} of {} missing files by id in {:.2f}s", n, blobs.size(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

 public:
  /// For materialize(): the result of an earlier fetch whose head and merge base are kept.
  void set_result_for_materialize(const FetchResult& r) {
    result_.head_sha = r.head_sha;
    result_.merge_base = r.merge_base;
  }
  void materialize_only(const std::vector<std::string>& folders) {
    if (!is_partial(mirror_.repo.get())) return;
    materialize_blobs(folders);
    if (std::string problem = check_commit_objects(mirror_.repo.get(), result_.head_sha, Materialized(folders));
        !problem.empty())
      throw util::RuntimeError("git cache " + mirror_.dir.string() + ": " + problem);
  }

 private:
  const FetchRequest& req_;
  Mirror& mirror_;
  FetchResult& result_;
  std::string proxy_;
  RemoteSession auth_;
  git_proxy_options proxy_opts_ = GIT_PROXY_OPTIONS_INIT;
  std::vector<std::string> specs_;
  std::size_t masked_ = 0;
};

fs::path mirror_dir(const FetchRequest& req) {
  std::string name = sanitize_cache_key(req.cache_key.empty() ? req.remote.url : req.cache_key) + ".git";
  if (!req.cache_dir.empty()) return req.cache_dir / name;
  fs::path scratch = req.scratch_dir.empty() ? fs::temp_directory_path() / "jit-agent-mirrors" : req.scratch_dir;
  return scratch / name;
}

// "https://user:secret@host/p.git" -> the URL without user info; the secret becomes the token
// when none is set. Credentials never reach the mirror's config, the logs or an error.
FetchRequest without_url_credentials(FetchRequest req) {
  std::string& url = req.remote.url;
  auto sep = url.find("://");
  if (sep == std::string::npos) return req;
  auto end = url.find_first_of("/?#", sep + 3);
  auto at = url.rfind('@', end == std::string::npos ? url.npos : end);
  if (at == std::string::npos || at < sep) return req;
  std::string userinfo = url.substr(sep + 3, at - sep - 3);
  url.erase(sep + 3, at - sep - 2);
  auto colon = userinfo.find(':');
  if (colon != std::string::npos) {
    util::global_redactor().add(userinfo.substr(colon + 1));
    if (req.remote.token.empty()) {
      req.remote.username = userinfo.substr(0, colon);
      req.remote.token = userinfo.substr(colon + 1);
    }
  }
  return req;
}

}  // namespace

std::string_view to_string(CacheState state) {
  switch (state) {
    case CacheState::cold: return "cold";
    case CacheState::warm: return "warm";
    case CacheState::rebuilt: return "rebuilt";
  }
  return "cold";
}

std::string sanitize_cache_key(std::string_view key) {
  std::string out;
  for (char c : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  // No hidden names and no "..": the key becomes one folder name under the cache.
  while (!out.empty() && out.front() == '.') out.front() = '_';
  if (out.empty()) out = "_";
  return out;
}

FetchResult fetch(const FetchRequest& request) {
  ensure_libgit2();
  const FetchRequest req = without_url_credentials(request);
  if (req.remote.url.empty()) throw util::UsageError("no clone URL to fetch from");
  if (req.head_ref.empty() && req.head_sha.empty()) throw util::UsageError("nothing to fetch: no ref and no commit");
  util::global_redactor().add(req.remote.token);
  CaBundleScope ca(req.remote.system_ca_file, req.remote.extra_ca_file);
  git_libgit2_opts(GIT_OPT_SET_SERVER_CONNECT_TIMEOUT, 30000);
  git_libgit2_opts(GIT_OPT_SET_SERVER_TIMEOUT, 300000);

  fs::path dir = mirror_dir(req);
  FileLock lock(dir.string() + ".lock");
  Mirror mirror = open_mirror(dir, req.remote.url);
  if (mirror.state == CacheState::rebuilt)
    spdlog::warn("git cache {} was rebuilt: {}", dir.string(), mirror.rebuild_reason);

  FetchResult result;
  result.git_dir = dir;
  try {
    Fetcher(req, mirror, result).run();
  } catch (const CorruptMirror& e) {
    if (mirror.state != CacheState::warm) throw util::RuntimeError(e.what());
    spdlog::warn("git cache {} is unusable ({}); fetching again from scratch", dir.string(), e.what());
    rebuild_mirror(mirror, req.remote.url, e.what());
    int credential_requests = result.credential_requests;
    result = FetchResult{};
    result.git_dir = dir;
    result.credential_requests = credential_requests;
    try {
      Fetcher(req, mirror, result).run();
    } catch (const CorruptMirror& again) {
      throw util::RuntimeError(again.what());
    }
  }
  result.cache = mirror.state;
  result.rebuild_reason = mirror.rebuild_reason;
  return result;
}

void materialize(const FetchRequest& request, const FetchResult& result, const std::vector<std::string>& folders) {
  ensure_libgit2();
  const FetchRequest req = without_url_credentials(request);
  CaBundleScope ca(req.remote.system_ca_file, req.remote.extra_ca_file);
  FileLock lock(result.git_dir.string() + ".lock");
  Mirror mirror;
  mirror.dir = result.git_dir;
  mirror.repo = open_repository(result.git_dir.string());
  mirror.state = CacheState::warm;
  FetchResult scratch = result;
  Fetcher fetcher(req, mirror, scratch);
  fetcher.set_result_for_materialize(result);
  fetcher.materialize_only(folders);
}

}  // namespace agent::checkout
