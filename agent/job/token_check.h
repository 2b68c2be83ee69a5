#pragma once
// Live GitLab tokens (issue 12): every GitLab token a secrets finding holds is asked about at its
// instance (gitlab::TokenInspector), and the answer goes into Finding::token_check. Active tokens
// become critical, revoked or expired ones low (the rule's level kept in original_severity).
// Shared by `ci`, `merge` and `scan --validate`.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/gitlab/http.h"
#include "agent/gitlab/token_inspect.h"
#include "agent/util/environment.h"

namespace agent::job {

struct TokenCheckSettings {
  bool enabled = false;
  std::string instance;            ///< "https://gitlab.example.com" (CI_SERVER_URL or --gitlab-url)
  std::string api_url;             ///< its REST API (CI_API_V4_URL); "" = instance + "/api/v4"
  bool allow_external = false;     ///< JIT_VALIDATE_EXTERNAL=true: tokens whose line names another host
  bool revoke = false;             ///< JIT_REVOKE_LEAKED=true in a merge request job: DELETE active PATs
  std::chrono::milliseconds timeout{5'000};
  double max_per_second = 5;
  std::size_t max_tokens = 50;     ///< distinct tokens asked about per job; the rest stay unknown
  gitlab::TransportOptions transport;
};

/// `ci` and `merge`: on when CI_SERVER_URL is set (asked at CI_API_V4_URL), unless JIT_VALIDATE_TOKENS=false;
/// JIT_VALIDATE_EXTERNAL=true; JIT_REVOKE_LEAKED=true only when `merge_request`. Proxies and the
/// CA file as for the API client. Throws util::UsageError for a value that is not true/false.
TokenCheckSettings token_check_settings_for_ci(const util::Environment& env, bool merge_request);

/// `scan --validate`: on, against `gitlab_url` (else CI_SERVER_URL, else https://gitlab.com);
/// JIT_VALIDATE_EXTERNAL as in CI; never revokes.
TokenCheckSettings token_check_settings_for_scan(const util::Environment& env, const std::string& gitlab_url);

/// Which instance a token belongs to, from the text of its line.
struct TokenHome {
  std::string instance;  ///< base URL to ask ("https://gitlab.com"); "" when the line names none
  bool external = false; ///< the line names another host than this instance
};

/// The host a URL on `line` names for `token` (`https://oauth2:TOKEN@gitlab.com/...`: the URL
/// holding the token first, else the first http(s) URL on the line), compared with `instance`.
TokenHome token_home(std::string_view line, std::string_view token, std::string_view instance);

/// Line `line` (1-based) of `text` without its end of line; "" when there is no such line.
std::string line_at(std::string_view text, int line);

/// The text of a finding's line ("" when unknown): how the checker sees a token's context.
using LineLookup = std::function<std::string(const findings::Finding&)>;

struct TokenCheckSummary {
  std::size_t tokens = 0;     ///< findings holding a GitLab token
  std::size_t active = 0, inactive = 0, unknown = 0, revoked = 0;
  int requests = 0;
};

class TokenChecker {
 public:
  TokenChecker(TokenCheckSettings settings, gitlab::Transport& transport, gitlab::InspectorOptions inspector = {});

  /// Checks every secrets finding of `list` that holds a GitLab token, sets its token_check and
  /// adjusts its severity. Never throws for a network or HTTP failure.
  TokenCheckSummary check(std::vector<findings::Finding>& list, const LineLookup& line_of = {});

 private:
  findings::TokenCheck check_one(const std::string& token, const findings::Finding& f, const LineLookup& line_of);

  TokenCheckSettings settings_;
  gitlab::TokenInspector inspector_;
  std::map<std::string, findings::TokenCheck> cache_;  ///< by instance + SHA-256 of the token
  std::size_t asked_ = 0;
};

/// Applies an answer's severity rule: active -> critical, inactive -> low (original kept); a
/// token jit-agent revoked keeps its rule's level.
void apply_token_severity(findings::Finding& f);

/// Runs a TokenChecker over `result.findings` with a libcurl transport and logs one summary line
/// (no token, no value). Does nothing when `settings.enabled` is false.
void check_tokens(const TokenCheckSettings& settings, findings::ScanResult& result, const LineLookup& line_of = {});

}  // namespace agent::job
