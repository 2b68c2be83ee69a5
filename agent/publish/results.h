#pragma once
// The optional results endpoint: the JSON report POSTed to JIT_RESULTS_URL with a bearer token.
#include <optional>
#include <string>

#include "agent/gitlab/http.h"
#include "agent/gitlab/retry.h"
#include "agent/util/environment.h"

namespace agent::publish {

struct ResultsEndpoint {
  std::string url;                 ///< http(s) URL
  std::string token;               ///< sent as "Authorization: Bearer <token>" when not empty
};

/// JIT_RESULTS_URL (+ JIT_RESULTS_TOKEN, registered with the redactor); nullopt when unset.
/// Throws util::UsageError when the URL is not http(s).
std::optional<ResultsEndpoint> results_endpoint_from_env(const util::Environment& env);

/// POSTs `json_body` (application/json) with the retry policy; throws gitlab::ApiError (no token
/// in the message) when the endpoint finally refuses or cannot be reached.
void post_results(gitlab::Transport& transport, const gitlab::RetryPolicy& policy, gitlab::Sleeper sleeper,
                  const ResultsEndpoint& endpoint, const std::string& json_body);

}  // namespace agent::publish
