#pragma once
// Fetching the target project with libgit2 over HTTPS: token auth, extra CA, proxy, shallow
// fetch deepened until the merge base exists, and a persistent bare mirror under JIT_CACHE_DIR
// that is verified (and rebuilt when corrupt or stale) before anything trusts it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace agent::checkout {

/// How to reach and authenticate to the git server.
struct RemoteSpec {
  std::string url;                      ///< "https://host/group/project.git", no credentials
  std::string username = "oauth2";      ///< GitLab accepts any user name with a token
  std::string token;                    ///< HTTPS basic-auth password; "" = anonymous
  std::filesystem::path extra_ca_file;  ///< CI_SERVER_TLS_CA_FILE: trusted IN ADDITION to system CAs
  std::filesystem::path system_ca_file = "/etc/ssl/certs/ca-certificates.crt";
  std::string proxy;                    ///< HTTPS_PROXY/https_proxy ("" = direct)
  std::string no_proxy;                 ///< NO_PROXY/no_proxy: hosts or .domains reached directly
};

struct FetchRequest {
  RemoteSpec remote;
  /// What to scan: a ref ("refs/merge-requests/16/head", "refs/heads/main", "refs/tags/v1")
  /// and/or a full sha. With both, the sha wins when the ref has moved on since the event
  /// (it is then fetched by id, as GitLab allows).
  std::string head_ref;
  std::string head_sha;
  /// The branch (ref or sha) the head is compared with: an MR's target branch, a push's `before`.
  /// When set, the fetch deepens until the merge base of head and base is present. "" = none.
  std::string base_ref;
  std::string base_sha;
  /// Persistent mirror folder (JIT_CACHE_DIR); the mirror is <cache_dir>/<cache_key>.git.
  /// Empty: a throw-away mirror under `scratch_dir`.
  std::filesystem::path cache_dir;
  std::string cache_key;                ///< project id or path; sanitised into a file name
  std::filesystem::path scratch_dir;    ///< used when cache_dir is empty
  /// Sparse fetch: when set and the server can filter, only commits and trees are fetched, then
  /// the blobs of these folders (plus top-level files and .jit/) and of every file the MR
  /// changes; the mirror is "partial" from then on. Empty: every blob of the head.
  std::vector<std::string> folders;
  int depth = 0;                        ///< first fetch depth; 0 = automatic (1, or 20 with a base)
  /// The whole history of the head (history scans): a shallow mirror is unshallowed, `depth` and
  /// `folders` are ignored (every blob of every commit is read).
  bool full_history = false;
  int max_deepen_rounds = 4;            ///< depth x4 per round, then one full unshallow
};

/// What happened to the cache.
enum class CacheState { cold, warm, rebuilt };
std::string_view to_string(CacheState state);

struct FetchResult {
  std::filesystem::path git_dir;        ///< the bare mirror holding the objects
  std::string head_sha;
  std::string base_sha;                 ///< resolved tip of the base ("" without a base)
  std::string merge_base;               ///< "" without a base or for unrelated histories
  CacheState cache = CacheState::cold;
  std::string rebuild_reason;           ///< why a cached mirror was thrown away ("" if not)
  int depth = 0;                        ///< depth of the last fetch (0 = full)
  int deepen_rounds = 0;                ///< fetches after the first one to reach the merge base
  bool unshallowed = false;             ///< history had to be fetched completely
  bool shallow = false;                 ///< the mirror is still shallow
  bool partial = false;                 ///< the mirror lacks blobs outside the materialised folders
  std::uint64_t received_objects = 0;   ///< summed over every fetch of this call
  std::uint64_t received_bytes = 0;
  int credential_requests = 0;          ///< how often the server asked for credentials
};

/// Fetches what `request` names into the mirror and verifies it: the head commit, the base and
/// the merge base are present and readable, every ref resolves, the remote URL matches. A cached
/// mirror failing any check is deleted and fetched again (result.cache == rebuilt).
/// Throws util::RuntimeError with one line and the URL without credentials on 401/403, 404,
/// TLS and network failures, and when head_sha cannot be found.
FetchResult fetch(const FetchRequest& request);

/// After fetch() of a partial mirror: fetches the blobs that reading `folders` of the head needs
/// (e.g. once the repository's .jit/jit-config.yml named them). No-op for a complete mirror.
/// Throws util::RuntimeError like fetch().
void materialize(const FetchRequest& request, const FetchResult& result, const std::vector<std::string>& folders);

/// "group/sub/project" or "42" -> a safe file name ("group_sub_project", "42").
std::string sanitize_cache_key(std::string_view key);

}  // namespace agent::checkout
