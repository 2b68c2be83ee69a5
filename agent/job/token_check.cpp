#include "agent/job/token_check.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "agent/gitlab/client.h"
#include "agent/util/error.h"
#include "agent/util/hash.h"
#include "agent/util/redact.h"

namespace agent::job {
namespace {

using findings::Finding;
using findings::Severity;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool env_bool(const util::Environment& env, std::string_view name, bool fallback) {
  std::string v = lower(env.get_or(name, ""));
  if (v.empty()) return fallback;
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw util::UsageError(std::string(name) + "=" + v + ": expected true or false");
}

/// "https://Host:8443/path" -> {"https", "host:8443"}; empty host when `url` is no http(s) URL.
struct Origin {
  std::string scheme;
  std::string host;  ///< lower-case host[:port], without user-info
};

Origin origin_of(std::string_view url) {
  Origin o;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return o;
  o.scheme = lower(url.substr(0, sep));
  if (o.scheme != "http" && o.scheme != "https") return {};
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?# \t\"'`<>)]},;"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  o.host = lower(rest);
  // The default port is the same host.
  if (o.scheme == "https" && o.host.size() > 4 && o.host.ends_with(":443")) o.host.resize(o.host.size() - 4);
  if (o.scheme == "http" && o.host.size() > 3 && o.host.ends_with(":80")) o.host.resize(o.host.size() - 3);
  return o;
}

std::string strip_slashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

TokenCheckSettings token_check_settings_for_ci(const util::Environment& env, bool merge_request) {
  TokenCheckSettings s;
  s.instance = strip_slashes(env.get_or("CI_SERVER_URL", ""));
  s.api_url = strip_slashes(env.get_or("CI_API_V4_URL", ""));
  s.enabled = !s.instance.empty() && env_bool(env, "JIT_VALIDATE_TOKENS", true);
  s.allow_external = env_bool(env, "JIT_VALIDATE_EXTERNAL", false);
  s.revoke = merge_request && env_bool(env, "JIT_REVOKE_LEAKED", false);
  s.transport = gitlab::transport_from_env(env);
  return s;
}

TokenCheckSettings token_check_settings_for_scan(const util::Environment& env, const std::string& gitlab_url) {
  TokenCheckSettings s;
  s.enabled = true;
  s.instance = strip_slashes(!gitlab_url.empty() ? gitlab_url : env.get_or("CI_SERVER_URL", "https://gitlab.com"));
  if (origin_of(s.instance).host.empty())
    throw util::UsageError("--gitlab-url " + util::redact_urls(s.instance) + ": expected an http(s) URL");
  s.allow_external = env_bool(env, "JIT_VALIDATE_EXTERNAL", false);
  s.transport = gitlab::transport_from_env(env);
  return s;
}

TokenHome token_home(std::string_view line, std::string_view token, std::string_view instance) {
  const Origin self = origin_of(instance);
  // Every http(s) URL on the line; the one whose user-info holds the token wins.
  std::string_view chosen;
  for (std::size_t pos = 0; (pos = line.find("://", pos)) != std::string_view::npos; pos += 3) {
    std::size_t start = pos;
    while (start > 0 && std::isalpha(static_cast<unsigned char>(line[start - 1]))) --start;
    std::string_view url = line.substr(start);
    std::string_view authority = url.substr(0, url.find_first_of("/?# \t\"'`<>)]},;", url.find("://") + 3));
    if (origin_of(url).host.empty()) continue;
    if (!token.empty() && authority.find(token) != std::string_view::npos) {
      chosen = url;
      break;
    }
    if (chosen.empty()) chosen = url;
  }
  TokenHome home;
  if (chosen.empty()) return home;
  Origin named = origin_of(chosen);
  if (named.host == self.host) return home;
  home.external = true;
  // Another instance is only ever asked over HTTPS: a found token is not sent in clear text.
  home.instance = "https://" + named.host;
  return home;
}

std::string line_at(std::string_view text, int line) {
  if (line <= 0) return "";
  std::size_t start = 0;
  for (int i = 1; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return "";
    ++start;
  }
  std::string_view rest = text.substr(start);
  rest = rest.substr(0, rest.find('\n'));
  if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
  return std::string(rest);
}

void apply_token_severity(Finding& f) {
  if (!f.token_check) return;
  auto& c = *f.token_check;
  // A token jit-agent revoked was live when it was pushed: it keeps its rule's level.
  if (c.revoked_by_agent) return;
  Severity target = f.severity;
  if (c.status == "active") target = Severity::critical;
  else if (c.status == "inactive") target = Severity::low;
  if (target == f.severity) return;
  if (c.original_severity.empty()) c.original_severity = std::string(findings::to_string(f.severity));
  f.severity = target;
}

TokenChecker::TokenChecker(TokenCheckSettings settings, gitlab::Transport& transport, gitlab::InspectorOptions inspector)
    : settings_(std::move(settings)), inspector_(transport, [&] {
        inspector.max_per_second = settings_.max_per_second;
        return inspector;
      }()) {
  settings_.instance = strip_slashes(settings_.instance);
}

findings::TokenCheck TokenChecker::check_one(const std::string& token, const Finding& f, const LineLookup& line_of) {
  findings::TokenCheck c;
  const gitlab::TokenPrefix* kind = gitlab::token_prefix_of(token);
  if (kind->check == gitlab::SelfCheck::none) {
    c.status = "unknown";
    c.reason = "GitLab offers no self-inspection endpoint for a " + std::string(kind->kind);
    return c;
  }
  const std::string line = line_of ? line_of(f) : std::string();
  TokenHome home = token_home(line, token, settings_.instance);
  if (home.external && !settings_.api_url.empty() && !token_home(line, token, settings_.api_url).external)
    home = {};  // the line names the API's host (CI_API_V4_URL): this instance too
  std::string instance = home.external ? home.instance : settings_.instance;
  if (home.external && !settings_.allow_external) {
    c.status = "unknown";
    c.reason = "not checked: its line names " + util::redact_urls(home.instance) +
               ", not this instance (JIT_VALIDATE_EXTERNAL=true checks it there)";
    return c;
  }
  if (instance.empty()) {
    c.status = "unknown";
    c.reason = "not checked: no GitLab instance known (CI_SERVER_URL or --gitlab-url)";
    return c;
  }
  const std::string api = home.external || settings_.api_url.empty() ? instance + "/api/v4" : settings_.api_url;
  const std::string key = api + '\n' + util::sha256_hex(token);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  if (asked_ >= settings_.max_tokens) {
    c.status = "unknown";
    c.instance = instance;
    c.reason = "not checked: more than " + std::to_string(settings_.max_tokens) + " GitLab tokens in this job";
    return c;
  }
  ++asked_;
  gitlab::TokenAnswer a = inspector_.inspect(api, token);
  c.status = a.status;
  c.reason = a.reason;
  c.instance = instance;
  c.endpoint = a.endpoint;
  c.scopes = a.scopes;
  c.owner = a.owner;
  c.name = util::global_redactor().apply(a.name);
  c.expires_at = a.expires_at;
  if (settings_.revoke && c.status == "active" && kind->check == gitlab::SelfCheck::personal_token) {
    std::string why;
    if (inspector_.revoke_personal_token(api, token, why)) {
      c.revoked_by_agent = true;
      c.status = "inactive";
      c.reason = "revoked by jit-agent (JIT_REVOKE_LEAKED)";
      c.endpoint += ", DELETE /api/v4/personal_access_tokens/self";
    } else {
      c.reason = why;
    }
  }
  cache_.emplace(key, c);
  return c;
}

TokenCheckSummary TokenChecker::check(std::vector<Finding>& list, const LineLookup& line_of) {
  TokenCheckSummary sum;
  const int before = inspector_.requests_sent();
  for (auto& f : list) {
    if (f.control != "secrets" || !f.secret || f.secret->raw.empty() || f.token_check) continue;
    const std::string& token = f.secret->raw;
    if (!gitlab::token_prefix_of(token)) continue;
    ++sum.tokens;
    f.token_check = check_one(token, f, line_of);
    apply_token_severity(f);
    const auto& c = *f.token_check;
    if (c.revoked_by_agent) ++sum.revoked;
    if (c.status == "active") ++sum.active;
    else if (c.status == "inactive") ++sum.inactive;
    else ++sum.unknown;
  }
  sum.requests = inspector_.requests_sent() - before;
  return sum;
}

void check_tokens(const TokenCheckSettings& settings, findings::ScanResult& result, const LineLookup& line_of) {
  if (!settings.enabled) return;
  const bool any = std::any_of(result.findings.begin(), result.findings.end(), [](const Finding& f) {
    return f.control == "secrets" && f.secret && gitlab::token_prefix_of(f.secret->raw);
  });
  if (!any) return;
  gitlab::TransportOptions t = settings.transport;
  t.connect_timeout = std::min(t.connect_timeout, settings.timeout);
  t.request_timeout = settings.timeout;
  std::unique_ptr<gitlab::CurlTransport> transport;
  try {
    transport = std::make_unique<gitlab::CurlTransport>(t);
  } catch (const util::Error& e) {
    result.warnings.push_back(std::string("GitLab tokens not checked: ") + e.what());
    return;
  }
  TokenChecker checker(settings, *transport);
  TokenCheckSummary s = checker.check(result.findings, line_of);
  spdlog::info("GitLab tokens: {} found, {} active, {} revoked or expired, {} unknown{} ({} request{})", s.tokens,
               s.active, s.inactive, s.unknown, s.revoked ? ", " + std::to_string(s.revoked) + " revoked by jit-agent" : "",
               s.requests, s.requests == 1 ? "" : "s");
}

}  // namespace agent::job
