#pragma once
// HTTPS plumbing for fetch: the CA bundle (system + CI_SERVER_TLS_CA_FILE), proxy choice,
// the credentials callback that gives up after a refused token, and one-line error messages.
// Internal to checkout/.
#include <git2.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "agent/checkout/fetch.h"

namespace agent::checkout {

/// Points libgit2 at the system CAs plus `extra` (a temporary concatenated bundle, deleted when
/// this object dies). libgit2's CA location is process-wide; mbedTLS parses it immediately.
class CaBundleScope {
 public:
  CaBundleScope(const std::filesystem::path& system_bundle, const std::filesystem::path& extra);
  ~CaBundleScope();
  CaBundleScope(const CaBundleScope&) = delete;
  CaBundleScope& operator=(const CaBundleScope&) = delete;

 private:
  std::filesystem::path temp_;
};

/// The proxy URL to use for `url` given HTTPS_PROXY and NO_PROXY ("" = connect directly).
std::string proxy_for(std::string_view url, std::string_view proxy, std::string_view no_proxy);

/// The callbacks' payload for one remote operation: credentials state, and the partial-fetch
/// state of the wrapping subtransport (filter_transport.h).
struct RemoteSession {
  std::string username;
  std::string token;
  int calls = 0;          ///< times the server asked (401) during the current operation
  bool refused = false;   ///< the server asked again after we answered: the token was refused
  bool want_filter = false;      ///< ask for `filter blob:none` when the server can
  bool server_can_filter = false;  ///< the advertisement had `filter` and fetch-by-id
  bool filtered = false;         ///< a filtered request was sent
  std::string advertisement;     ///< the start of the ref advertisement, up to the first ref line
};

/// git_credential_acquire_cb over a RemoteSession payload: answers once with user/token, and
/// fails on a repeat instead of letting libgit2 loop on 401.
int credentials_callback(git_credential** out, const char* url, const char* username_from_url,
                         unsigned int allowed_types, void* payload);

/// One-line error for a failed remote operation: the kind (authentication, access, not found,
/// TLS, network), the URL without credentials, and libgit2's reason; always redacted.
std::string describe_remote_error(int rc, const RemoteSession& auth, std::string_view url, std::string_view doing);

}  // namespace agent::checkout
