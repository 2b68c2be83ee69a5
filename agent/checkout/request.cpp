// The fetch request for an event, from the environment snapshot (the only place checkout/
// learns about CI variables).
#include <filesystem>

#include "agent/checkout/fetch.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::checkout {
namespace fs = std::filesystem;

RemoteSpec remote_from_env(std::string url, const event::Environment& env) {
  RemoteSpec r;
  r.url = std::move(url);
  r.token = env.get_or("JIT_CHECKOUT_TOKEN", "");
  if (r.token.empty() && !env.get_or("CI_JOB_TOKEN", "").empty()) {
    // In a target project's own pipeline the job token can read that project.
    r.username = "gitlab-ci-token";
    r.token = env.get_or("CI_JOB_TOKEN", "");
  }
  util::global_redactor().add(r.token);
  r.extra_ca_file = env.get_or("CI_SERVER_TLS_CA_FILE", "");
  bool https = r.url.rfind("https://", 0) == 0;
  r.proxy = https ? env.get_or("HTTPS_PROXY", env.get_or("https_proxy", ""))
                  : env.get_or("HTTP_PROXY", env.get_or("http_proxy", ""));
  r.no_proxy = env.get_or("NO_PROXY", env.get_or("no_proxy", ""));
  return r;
}

FetchRequest fetch_request_for(const event::Event& event, const event::Environment& env) {
  if (event.clone_url().empty())
    throw util::UsageError(event.source() + ": the event names no project URL to clone (set CI_SERVER_URL)");
  FetchRequest req;
  req.remote = remote_from_env(event.clone_url(), env);
  req.cache_key = event.project().id > 0 ? std::to_string(event.project().id) : event.project().path;
  std::string cache = env.get_or("JIT_CACHE_DIR", "");
  if (!cache.empty()) {
    req.cache_dir = cache;
  } else if (std::string xdg = env.get_or("XDG_CACHE_HOME", ""); !xdg.empty()) {
    req.cache_dir = fs::path(xdg) / "jit-agent" / "git";
  } else if (std::string home = env.get_or("HOME", ""); !home.empty()) {
    req.cache_dir = fs::path(home) / ".cache" / "jit-agent" / "git";
  }
  const auto& mr = event.merge_request();
  if (mr && mr->iid > 0 && (event.kind() == event::Kind::merge_request || event.kind() == event::Kind::note)) {
    // The MR head lives in the target project for every source, forks included.
    req.head_ref = event.head_ref();
    req.head_sha = mr->head_sha;
    if (!mr->target_branch.empty()) req.base_ref = "refs/heads/" + mr->target_branch;
    if (!mr->diff_base_sha.empty() && req.base_ref.empty()) req.base_sha = mr->diff_base_sha;
  } else if (const auto& push = event.push()) {
    req.head_ref = push->ref;
    req.head_sha = event.head_sha();
    // A push to another branch is compared with what it replaced; the default branch is
    // scanned in full, so its history is not needed.
    if (!event.is_default_branch_push() && !push->creates() && !push->before.empty())
      req.base_sha = push->before;
  } else {
    req.head_sha = event.head_sha();
  }
  if (req.head_ref.empty() && req.head_sha.empty())
    throw util::UsageError(event.source() + ": the event names no commit to fetch");
  return req;
}

}  // namespace agent::checkout
