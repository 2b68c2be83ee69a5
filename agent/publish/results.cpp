#include "agent/publish/results.h"

#include <random>

#include "agent/gitlab/api.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::publish {

std::optional<ResultsEndpoint> results_endpoint_from_env(const util::Environment& env) {
  std::string url = env.get_or("JIT_RESULTS_URL", "");
  if (url.empty()) return std::nullopt;
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    throw util::UsageError("JIT_RESULTS_URL: expected an http(s) URL, got \"" + gitlab::url_for_display(url) + "\"");
  ResultsEndpoint e;
  e.url = std::move(url);
  e.token = env.get_or("JIT_RESULTS_TOKEN", "");
  if (!e.token.empty()) util::global_redactor().add(e.token);
  return e;
}

void post_results(gitlab::Transport& transport, const gitlab::RetryPolicy& policy, gitlab::Sleeper sleeper,
                  const ResultsEndpoint& endpoint, const std::string& json_body) {
  gitlab::HttpRequest request;
  request.method = "POST";
  request.url = endpoint.url;
  request.body = json_body;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!endpoint.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + endpoint.token);
  gitlab::Retrier retrier(transport, policy, std::move(sleeper), std::random_device{}());
  gitlab::HttpResponse response;
  try {
    response = retrier.send(request);
  } catch (const gitlab::NetworkError& e) {
    throw gitlab::ApiError(0, util::global_redactor().apply(std::string("results endpoint: ") + e.what()));
  }
  if (response.status < 200 || response.status >= 300) {
    std::string detail = response.body.substr(0, 200);
    for (auto& c : detail)
      if (c == '\n' || c == '\r') c = ' ';
    throw gitlab::ApiError(response.status,
                           util::global_redactor().apply("results endpoint POST " + gitlab::url_for_display(endpoint.url) +
                                                         ": HTTP " + std::to_string(response.status) +
                                                         (detail.empty() ? "" : ": " + detail)));
  }
}

}  // namespace agent::publish
