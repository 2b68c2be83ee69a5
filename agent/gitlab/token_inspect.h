#pragma once
// Asks a GitLab instance whether a GitLab token is alive, with the cheapest documented
// self-inspection endpoint of its kind. Read-only, except revoke_personal_token(), which the
// caller sends only when the user asked for it (JIT_REVOKE_LEAKED). The token goes out in a
// header, never in a URL, and is registered with
// util::global_redactor() before anything is sent, so no log line or message can carry it.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gitlab/http.h"
#include "agent/gitlab/retry.h"

namespace agent::gitlab {

/// How a kind of token can be asked about itself.
enum class SelfCheck {
  none,            ///< GitLab documents no endpoint a token of this kind can inspect itself with
  personal_token,  ///< GET /personal_access_tokens/self (personal, project, group, impersonation tokens)
  job,             ///< GET /job with JOB-TOKEN (valid while the job runs)
};

/// One row of GitLab's documented token prefixes ("Token prefixes" in GitLab's token overview).
struct TokenPrefix {
  std::string_view prefix;  ///< "glpat-"
  std::string_view kind;    ///< "personal access token" (project, group and impersonation tokens share it)
  SelfCheck check;
  std::string_view why_not = {};  ///< for `none`: why no request is sent, when more than "GitLab offers none"
};

/// Every documented prefix, longest first where two overlap ("glrtr-" before "glrt-").
std::span<const TokenPrefix> token_prefixes();

/// The row whose prefix starts `token`, or null when it is not a GitLab token we know.
const TokenPrefix* token_prefix_of(std::string_view token);

/// What the instance said.
struct TokenAnswer {
  std::string status;              ///< "active" | "inactive" | "unknown"
  std::string reason;              ///< one line, never the token
  std::string endpoint;            ///< "GET /api/v4/personal_access_tokens/self"; "" when nothing was sent
  std::vector<std::string> scopes;
  std::string owner;               ///< "@bob", or "user 42" when the scopes do not allow GET /user
  std::string name;
  std::string expires_at;          ///< "YYYY-MM-DD"
  int requests = 0;                ///< HTTP requests this answer cost
};

struct InspectorOptions {
  double max_per_second = 5;       ///< global rate limit over every request of the inspector (<= 0: none)
  /// Monotonic clock for the rate limit (tests pass a fake one).
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
  Sleeper sleep;                   ///< blocks between requests when the rate limit says so
};

/// Sends the self-inspection requests through one Transport (no retries: a failure is "unknown").
class TokenInspector {
 public:
  TokenInspector(Transport& transport, InspectorOptions options);

  /// Asks the instance whose REST API is `api_url` ("https://gitlab.example.com/api/v4") about
  /// `token`. Never throws for an HTTP or network failure: those are status "unknown" with the reason.
  TokenAnswer inspect(const std::string& api_url, const std::string& token);

  /// DELETE /personal_access_tokens/self. True when GitLab answered 204/200; `reason` receives
  /// a one-line explanation when not.
  bool revoke_personal_token(const std::string& api_url, const std::string& token, std::string& reason);

  /// HTTP requests sent so far.
  int requests_sent() const { return requests_; }

 private:
  HttpResponse send(HttpRequest request);
  TokenAnswer personal_token(const std::string& api, const std::string& token);
  TokenAnswer job(const std::string& api, const std::string& token);

  Transport& transport_;
  InspectorOptions options_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  int requests_ = 0;
};

}  // namespace agent::gitlab
