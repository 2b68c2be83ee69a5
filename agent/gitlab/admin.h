#pragma once
// The group-administration requests of `jit-agent setup` and `jit-agent doctor`: reads and writes
// through Client, or, in a dry run, none at all (every request is handed to a sink instead).
// Also the webhook contract the agent needs, shared by both commands.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace agent::gitlab {

class Client;

/// A request setup sends, or in a dry run would send.
struct AdminRequest {
  std::string method;        ///< GET | POST | PUT
  std::string path;          ///< relative to the API URL ("/groups/acme%2Fapps/hooks")
  nlohmann::json body;       ///< null for a GET
};

/// `body` with every secret it carries replaced by "[REDACTED]": the values of keys named
/// token or value (a variable's, a url_variables entry's). A file's `content` longer than 80
/// characters becomes "<N bytes>" (the line stays readable).
nlohmann::json redact_body(const nlohmann::json& body);

/// "POST /projects/12/variables {...}" on one line, the body redacted.
std::string describe(const AdminRequest& request);

/// The group webhook settings the agent needs: exactly push, tag push, merge request, comment and
/// subgroup events (every other event off) and TLS verification on.
nlohmann::json wanted_hook_settings();

/// The settings of `hook` (as GET .../hooks lists it) that differ from wanted_hook_settings(),
/// by name ("note_events", "enable_ssl_verification"); empty when it is as wanted.
std::vector<std::string> hook_differences(const nlohmann::json& hook);

/// The trigger URL of a project, with `{trigger_token}` where the token goes (a webhook URL
/// variable, so GitLab never shows the token again): API/projects/ID/ref/REF/trigger/pipeline?token={trigger_token}.
std::string trigger_url_template(const std::string& api_url, const std::string& project_id, const std::string& ref);

/// Reads and writes for setup and doctor. With a client every request goes to GitLab; without
/// one (a dry run) nothing is sent: reads find nothing, writes answer null, and every request is
/// handed to `sink` first in both cases.
class AdminApi {
 public:
  AdminApi(Client* client, std::function<void(const AdminRequest&)> sink);

  bool dry_run() const { return client_ == nullptr; }
  /// GET `path`; nullopt when GitLab answers 404 (other failures throw ApiError).
  std::optional<nlohmann::json> find(const std::string& path);
  /// GET every page of a list; throws ApiError (a 404 too: the caller decides what it means).
  std::vector<nlohmann::json> list(const std::string& path);
  /// POST/PUT `body`; returns GitLab's answer (null in a dry run). Throws ApiError.
  nlohmann::json write(const std::string& method, const std::string& path, const nlohmann::json& body);

 private:
  Client* client_;
  std::function<void(const AdminRequest&)> sink_;
};

}  // namespace agent::gitlab
