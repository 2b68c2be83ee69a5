#include "agent/gitlab/token_inspect.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <thread>

#include "agent/util/redact.h"

namespace agent::gitlab {
namespace {

using nlohmann::json;

// GitLab's documented token prefixes (docs: security/tokens, "Token prefixes"). Only two kinds
// can ask about themselves without changing anything; the others get no request at all. Runner
// tokens could be checked with POST /runners/verify, but GitLab records that as the runner's last
// contact: a leaked runner would look recently used, so it is not sent. Longest prefix first.
constexpr std::array kPrefixes = {
    TokenPrefix{"glagent-", "GitLab agent for Kubernetes token", SelfCheck::none},
    TokenPrefix{"GR1348941", "runner registration token", SelfCheck::none},
    TokenPrefix{"glsoat-", "SCIM token", SelfCheck::none},
    TokenPrefix{"glffct-", "feature flags client token", SelfCheck::none},
    TokenPrefix{"glpat-", "personal access token", SelfCheck::personal_token},
    TokenPrefix{"glptt-", "pipeline trigger token", SelfCheck::none},
    TokenPrefix{"glcbt-", "CI/CD job token", SelfCheck::job},
    TokenPrefix{"gloas-", "OAuth application secret", SelfCheck::none},
    TokenPrefix{"glimt-", "incoming email token", SelfCheck::none},
    TokenPrefix{"glrtr-", "runner authentication token", SelfCheck::none,
                "GitLab's only check of a runner token, POST /runners/verify, records a runner contact: not sent"},
    TokenPrefix{"glrt-", "runner authentication token", SelfCheck::none,
                "GitLab's only check of a runner token, POST /runners/verify, records a runner contact: not sent"},
    TokenPrefix{"gldt-", "deploy token", SelfCheck::none},
    TokenPrefix{"glft-", "feed token", SelfCheck::none},
};

std::string api_of(std::string api_url) {
  while (!api_url.empty() && api_url.back() == '/') api_url.pop_back();
  return api_url;
}

/// "2027-01-01" of a date or date-time string, else "".
std::string day_of(const json& value) {
  if (!value.is_string()) return "";
  std::string s = value.get<std::string>();
  return s.size() >= 10 ? s.substr(0, 10) : "";
}

json parse_object(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  return j.is_object() ? j : json::object();
}

TokenAnswer unknown(std::string endpoint, std::string reason) {
  TokenAnswer a;
  a.status = "unknown";
  a.endpoint = std::move(endpoint);
  a.reason = std::move(reason);
  return a;
}

std::string status_text(long status) { return "HTTP " + std::to_string(status); }

bool scopes_allow_user(const std::vector<std::string>& scopes) {
  return std::any_of(scopes.begin(), scopes.end(),
                     [](const std::string& s) { return s == "api" || s == "read_api" || s == "read_user"; });
}

}  // namespace

std::span<const TokenPrefix> token_prefixes() { return kPrefixes; }

const TokenPrefix* token_prefix_of(std::string_view token) {
  for (const auto& p : kPrefixes)
    if (token.substr(0, p.prefix.size()) == p.prefix) return &p;
  return nullptr;
}

TokenInspector::TokenInspector(Transport& transport, InspectorOptions options)
    : transport_(transport), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

HttpResponse TokenInspector::send(HttpRequest request) {
  if (options_.max_per_second > 0) {
    const auto interval = std::chrono::milliseconds(static_cast<long>(1000.0 / options_.max_per_second));
    if (last_) {
      auto since = std::chrono::duration_cast<std::chrono::milliseconds>(options_.now() - *last_);
      if (since < interval) options_.sleep(interval - since);
    }
  }
  ++requests_;
  last_ = options_.now();
  return transport_.perform(request);
}

TokenAnswer TokenInspector::inspect(const std::string& api_url, const std::string& token) {
  const TokenPrefix* kind = token_prefix_of(token);
  if (!kind) return unknown("", "not a GitLab token prefix jit-agent knows");
  if (kind->check == SelfCheck::none)
    return unknown("", kind->why_not.empty() ? "GitLab offers no self-inspection endpoint for a " + std::string(kind->kind)
                                             : std::string(kind->why_not));
  // Whatever happens below, the token must not reach a log line or an error message.
  util::global_redactor().add(token);
  const std::string api = api_of(api_url);
  const int before = requests_;
  TokenAnswer answer;
  try {
    switch (kind->check) {
      case SelfCheck::personal_token: answer = personal_token(api, token); break;
      case SelfCheck::job: answer = job(api, token); break;
      case SelfCheck::none: break;
    }
  } catch (const std::exception& e) {
    // NetworkError (DNS, refused, TLS, timeout): the URL without credentials, never headers.
    std::string endpoint = answer.endpoint;
    answer = unknown(endpoint, "no answer from " + url_for_display(api_url) + ": " +
                                   util::global_redactor().apply(e.what()));
  }
  answer.reason = util::global_redactor().apply(answer.reason);
  answer.requests = requests_ - before;
  return answer;
}

TokenAnswer TokenInspector::personal_token(const std::string& api, const std::string& token) {
  const std::string endpoint = "GET /api/v4/personal_access_tokens/self";
  HttpRequest req;
  req.url = api + "/personal_access_tokens/self";
  req.headers = {{"PRIVATE-TOKEN", token}, {"Accept", "application/json"}};
  HttpResponse res;
  try {
    res = send(req);
  } catch (const NetworkError& e) {
    return unknown(endpoint, "no answer: " + util::global_redactor().apply(e.what()));
  }
  if (res.status == 401) {
    TokenAnswer a;
    a.status = "inactive";
    a.endpoint = endpoint;
    a.reason = "revoked or expired (401)";
    return a;
  }
  if (res.status == 403) {
    // GitLab says 403 insufficient_scope to a token it authenticated whose scopes do not cover
    // the endpoint (read_repository only, for instance): alive, details unknown.
    if (res.body.find("insufficient_scope") != std::string::npos) {
      TokenAnswer a;
      a.status = "active";
      a.endpoint = endpoint;
      a.reason = "accepted, but its scopes do not allow self-inspection (403 insufficient_scope)";
      return a;
    }
    return unknown(endpoint, "forbidden (403)");
  }
  if (res.status != 200) return unknown(endpoint, "unexpected answer (" + status_text(res.status) + ")");
  json j = parse_object(res.body);
  TokenAnswer a;
  a.endpoint = endpoint;
  if (auto it = j.find("scopes"); it != j.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) a.scopes.push_back(s.get<std::string>());
  if (auto it = j.find("name"); it != j.end() && it->is_string()) a.name = it->get<std::string>();
  if (auto it = j.find("expires_at"); it != j.end()) a.expires_at = day_of(*it);
  const bool revoked = j.value("revoked", false);
  const bool active = j.value("active", !revoked);
  if (revoked || !active) {
    a.status = "inactive";
    a.reason = revoked ? "revoked" : "expired";
    return a;
  }
  a.status = "active";
  if (auto it = j.find("user_id"); it != j.end() && it->is_number_integer())
    a.owner = "user " + std::to_string(it->get<long long>());
  if (scopes_allow_user(a.scopes)) {
    try {
      HttpRequest user;
      user.url = api + "/user";
      user.headers = {{"PRIVATE-TOKEN", token}, {"Accept", "application/json"}};
      HttpResponse ures = send(user);
      if (ures.status == 200) {
        json u = parse_object(ures.body);
        if (auto it = u.find("username"); it != u.end() && it->is_string() && !it->get<std::string>().empty())
          a.owner = "@" + it->get<std::string>();
      }
    } catch (const NetworkError&) {
      // The owner is a detail: the token is known to be active already.
    }
  }
  return a;
}

TokenAnswer TokenInspector::job(const std::string& api, const std::string& token) {
  const std::string endpoint = "GET /api/v4/job";
  HttpRequest req;
  req.url = api + "/job";
  req.headers = {{"JOB-TOKEN", token}, {"Accept", "application/json"}};
  HttpResponse res;
  try {
    res = send(req);
  } catch (const NetworkError& e) {
    return unknown(endpoint, "no answer: " + util::global_redactor().apply(e.what()));
  }
  TokenAnswer a;
  a.endpoint = endpoint;
  if (res.status == 200) {
    a.status = "active";
    a.reason = "its job is still running";
    json j = parse_object(res.body);
    if (auto u = j.find("user"); u != j.end() && u->is_object())
      if (auto n = u->find("username"); n != u->end() && n->is_string() && !n->get<std::string>().empty())
        a.owner = "@" + n->get<std::string>();
    return a;
  }
  if (res.status == 401 || res.status == 403) {
    a.status = "inactive";
    a.reason = "its job has finished or the token is invalid (" + std::to_string(res.status) + ")";
    return a;
  }
  return unknown(endpoint, "unexpected answer (" + status_text(res.status) + ")");
}

bool TokenInspector::revoke_personal_token(const std::string& api_url, const std::string& token,
                                           std::string& reason) {
  util::global_redactor().add(token);
  HttpRequest req;
  req.method = "DELETE";
  req.url = api_of(api_url) + "/personal_access_tokens/self";
  req.headers = {{"PRIVATE-TOKEN", token}};
  try {
    HttpResponse res = send(req);
    if (res.status == 204 || res.status == 200) return true;
    reason = "revoking failed (" + status_text(res.status) + ")";
  } catch (const NetworkError& e) {
    reason = "revoking failed: " + util::global_redactor().apply(e.what());
  }
  return false;
}

}  // namespace agent::gitlab
