#include "agent/gitlab/admin.h"

#include "agent/gitlab/client.h"
#include "agent/util/redact.h"

namespace agent::gitlab {
namespace {
using nlohmann::json;

constexpr const char* kRedacted = "[REDACTED]";

// The events a GitLab group hook can send (doc/api/group_webhooks.md), and which of them the agent uses.
constexpr std::pair<const char*, bool> kHookEvents[] = {
    {"push_events", true},          {"tag_push_events", true},        {"merge_requests_events", true},
    {"note_events", true},          {"subgroup_events", true},        {"issues_events", false},
    {"confidential_issues_events", false}, {"confidential_note_events", false}, {"job_events", false},
    {"pipeline_events", false},     {"wiki_page_events", false},      {"deployment_events", false},
    {"releases_events", false},     {"feature_flag_events", false},   {"member_events", false},
    {"emoji_events", false},        {"resource_access_token_events", false}, {"repository_update_events", false},
};

}  // namespace

json redact_body(const json& body) {
  if (body.is_array()) {
    json out = json::array();
    for (const auto& item : body) out.push_back(redact_body(item));
    return out;
  }
  if (!body.is_object()) return body;
  json out = json::object();
  for (const auto& [key, value] : body.items()) {
    if ((key == "token" || key == "value") && value.is_string()) {
      out[key] = kRedacted;
    } else if (key == "content" && value.is_string() && value.get<std::string>().size() > 80) {
      // A committed file: its size says enough on one line (the files are the documented template).
      out[key] = "<" + std::to_string(value.get<std::string>().size()) + " bytes>";
    } else {
      out[key] = redact_body(value);
    }
  }
  return out;
}

std::string describe(const AdminRequest& request) {
  std::string line = request.method + " " + request.path;
  if (!request.body.is_null()) line += " " + redact_body(request.body).dump();
  return util::global_redactor().apply(line);
}

json wanted_hook_settings() {
  json out = json::object();
  for (const auto& [name, on] : kHookEvents) out[name] = on;
  out["enable_ssl_verification"] = true;
  return out;
}

std::vector<std::string> hook_differences(const json& hook) {
  std::vector<std::string> out;
  auto flag = [&hook](const char* name) {
    // A field this GitLab does not list is an event it does not have: off.
    auto it = hook.find(name);
    return it != hook.end() && it->is_boolean() && it->get<bool>();
  };
  for (const auto& [name, wanted] : kHookEvents)
    if (flag(name) != wanted) out.emplace_back(name);
  if (!flag("enable_ssl_verification")) out.emplace_back("enable_ssl_verification");
  return out;
}

std::string trigger_url_template(const std::string& api_url, const std::string& project_id, const std::string& ref) {
  return api_url + "/projects/" + url_encode(project_id) + "/ref/" + url_encode(ref) +
         "/trigger/pipeline?token={trigger_token}";
}

AdminApi::AdminApi(Client* client, std::function<void(const AdminRequest&)> sink)
    : client_(client), sink_(std::move(sink)) {}

std::optional<json> AdminApi::find(const std::string& path) {
  if (sink_) sink_({"GET", path, json()});
  if (!client_) return std::nullopt;
  try {
    return client_->get(path);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

std::vector<json> AdminApi::list(const std::string& path) {
  if (sink_) sink_({"GET", path, json()});
  if (!client_) return {};
  return client_->get_all(path);
}

json AdminApi::write(const std::string& method, const std::string& path, const json& body) {
  if (sink_) sink_({method, path, body});
  if (!client_) return json();
  return client_->send(method, path, body);
}

}  // namespace agent::gitlab
