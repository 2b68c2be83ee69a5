#include "agent/cli/settings.h"

#include "agent/controls/secrets/rule.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace fs = std::filesystem;

fs::path rules_dir(const util::Environment& env) {
  if (auto dir = env.get_or("JIT_RULES_DIR", ""); !dir.empty()) return dir;
  return controls::secrets::default_rules_dir();
}

fs::path secrets_cache_dir(const util::Environment& env) {
  if (auto dir = env.get_or("JIT_CACHE_DIR", ""); !dir.empty()) return fs::path(dir) / "hsdb";
  if (auto dir = env.get_or("XDG_CACHE_HOME", ""); !dir.empty()) return fs::path(dir) / "jit-agent" / "hsdb";
  if (auto home = env.get_or("HOME", ""); !home.empty()) return fs::path(home) / ".cache" / "jit-agent" / "hsdb";
  return {};
}

fs::path verdict_cache_dir(const util::Environment& env) {
  fs::path hsdb = secrets_cache_dir(env);
  return hsdb.empty() ? hsdb : hsdb.parent_path() / "verdicts";
}

fs::path history_state_dir(const util::Environment& env) {
  fs::path verdicts = verdict_cache_dir(env);
  return verdicts.empty() ? verdicts : verdicts.parent_path() / "history";
}

fs::path osv_db_dir(const util::Environment& env) {
  if (auto dir = env.get_or("JIT_DB_DIR", ""); !dir.empty()) return dir;
  if (auto cache = env.get_or("XDG_CACHE_HOME", ""); !cache.empty()) return fs::path(cache) / "jit-agent" / "osv";
  if (auto home = env.get_or("HOME", ""); !home.empty()) return fs::path(home) / ".cache" / "jit-agent" / "osv";
  return fs::path(".cache") / "jit-agent" / "osv";
}

fs::path tools_dir(const util::Environment& env) {
  if (auto dir = env.get_or("JIT_TOOLS_DIR", ""); !dir.empty()) return dir;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "lib" / "jit-agent" / "tools";
    if (fs::is_directory(installed, ec)) return installed;
  }
  return fs::path(JIT_AGENT_SOURCE_DIR) / "build-tools";
}

fs::path git_cache_dir(const util::Environment& env) {
  if (auto dir = env.get_or("JIT_CACHE_DIR", ""); !dir.empty()) return dir;
  if (auto xdg = env.get_or("XDG_CACHE_HOME", ""); !xdg.empty()) return fs::path(xdg) / "jit-agent" / "git";
  if (auto home = env.get_or("HOME", ""); !home.empty()) return fs::path(home) / ".cache" / "jit-agent" / "git";
  return {};
}

checkout::RemoteSpec remote_from_env(std::string url, const util::Environment& env) {
  checkout::RemoteSpec r;
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

checkout::FetchRequest fetch_request_for(const event::Event& event, const util::Environment& env) {
  if (event.clone_url().empty())
    throw util::UsageError(event.source() + ": the event names no project URL to clone (set CI_SERVER_URL)");
  checkout::FetchRequest req;
  req.remote = remote_from_env(event.clone_url(), env);
  req.cache_key = event.project().id > 0 ? std::to_string(event.project().id) : event.project().path;
  req.cache_dir = git_cache_dir(env);
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

}  // namespace agent::cli
