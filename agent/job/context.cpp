#include "agent/job/context.h"

#include <spdlog/spdlog.h>

namespace agent::job {

std::string project_api_id(const event::Event& ev) {
  return ev.project().id > 0 ? std::to_string(ev.project().id) : ev.project().path;
}

std::unique_ptr<gitlab::Client> make_client(const util::Environment& env) {
  auto options = gitlab::ClientOptions::from_env(env);
  if (options.api_url.empty()) {
    spdlog::warn("no GitLab API URL (CI_API_V4_URL or CI_SERVER_URL): nothing will be posted");
    return nullptr;
  }
  return std::make_unique<gitlab::Client>(options);
}

}  // namespace agent::job
