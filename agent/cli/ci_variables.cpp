#include "agent/cli/ci_variables.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "agent/controls/secrets/entropy.h"
#include "agent/controls/secrets/exact_values.h"
#include "agent/gitlab/client.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace {
namespace secrets = controls::secrets;

bool key_names_secret(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  static const char* const kWords[] = {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "PWD", "_PASS",
                                       "APIKEY", "API_KEY", "PRIVATE", "CREDENTIAL", "AUTH", "DSN", "CONNECTION_STRING",
                                       "WEBHOOK", "SIGNING", "ACCESS_KEY", "SECRET_KEY", "CLIENT_KEY", "CERT"};
  for (const char* w : kWords)
    if (key.find(w) != std::string::npos) return true;
  return key.size() > 4 && key.compare(key.size() - 4, 4, "_KEY") == 0;
}

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// True when `group` is `path` or one of its parents.
bool is_ancestor(const std::string& group, const std::string& path) {
  return path == group || (path.size() > group.size() && path.compare(0, group.size(), group) == 0 && path[group.size()] == '/');
}

findings::VariableDetail detail_of(const gitlab::CiVariable& v) {
  findings::VariableDetail d;
  d.key = v.key;
  d.level = v.level;
  d.owner = v.owner;
  d.environment_scope = v.environment_scope;
  d.variable_type = v.variable_type;
  d.masked = v.masked;
  d.is_protected = v.is_protected;
  d.hidden = v.hidden;
  return d;
}

}  // namespace

VariableChoice choose_variable(const gitlab::CiVariable& v, const std::string& value) {
  const std::string t = trimmed(value);
  if (t.empty()) return VariableChoice::no_value;
  if (t.size() < secrets::kMinValueLength) return VariableChoice::too_short;
  if (v.masked || v.hidden) return VariableChoice::kept;
  if (!v.is_protected && v.variable_type != "file") return VariableChoice::not_secret;
  if (key_names_secret(v.key)) return VariableChoice::kept;
  if (t.size() >= 20 && secrets::shannon_entropy(t) >= 4.0) return VariableChoice::kept;
  return VariableChoice::not_secret;
}

std::shared_ptr<const secrets::ExactValues> load_variable_values(gitlab::Client* client, const event::Event& ev,
                                                                 const std::string& project_api_id,
                                                                 const util::Environment& env,
                                                                 std::vector<std::string>& warnings) {
  if (env.get_or("JIT_VARIABLE_SCAN", "true") == "false") {
    spdlog::info("variables: JIT_VARIABLE_SCAN=false: CI/CD variable values are not looked for");
    return nullptr;
  }
  std::vector<secrets::SecretValue> values;
  std::size_t not_secret = 0, too_short = 0, no_value = 0;
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  gitlab::VariableListing listing;
  if (client && !ev.project().path.empty()) {
    listing = gitlab::list_ci_variables(*client, project_api_id, ev.project().path);
    const std::string own_project = env.get_or("CI_PROJECT_PATH", "");
    for (auto& v : listing.variables) {
      std::string value = v.value.value_or("");
      // A hidden variable's value never comes back from the API; a group above this job's own
      // project hands it to this job as an environment variable.
      if (!v.value && v.level == "group" && !own_project.empty() && is_ancestor(v.owner, own_project) &&
          v.environment_scope == "*")
        value = env.get_or(v.key, "");
      switch (choose_variable(v, value)) {
        case VariableChoice::not_secret: ++not_secret; break;
        case VariableChoice::too_short: ++too_short; break;
        case VariableChoice::no_value: ++no_value; break;
        case VariableChoice::kept:
          if (!seen.emplace(v.level, v.owner, v.key, v.environment_scope).second) break;
          util::global_redactor().add(value);
          values.push_back({detail_of(v), std::move(value)});
          break;
      }
      if (v.value) std::fill(v.value->begin(), v.value->end(), '\0');
    }
    for (const auto& d : listing.denied) warnings.push_back("CI/CD variables of " + d + ": their values are not looked for");
  }
  // The integration's own token: committed, it hands out the whole group.
  for (const char* key : {"JIT_CHECKOUT_TOKEN", "JIT_API_TOKEN"}) {
    std::string value = env.get_or(key, "");
    if (trimmed(value).size() < secrets::kMinValueLength) continue;
    findings::VariableDetail d;
    d.key = key;
    d.level = "project";
    d.owner = env.get_or("CI_PROJECT_PATH", "");
    d.masked = true;
    d.hidden = true;
    util::global_redactor().add(value);
    values.push_back({d, std::move(value)});
  }
  const std::size_t listed = listing.variables.size();
  if (values.empty()) {
    spdlog::info("variables: no CI/CD variable value to look for ({} listed)", listed);
    return nullptr;
  }
  auto compiled = std::make_shared<const secrets::ExactValues>(std::move(values));
  spdlog::info("variables: the values of {} CI/CD variable{} are looked for ({} form{}); of the {} listed for {}{}, "
               "{} are neither masked nor secret-looking, {} are shorter than 8 characters, {} have no readable value",
               compiled->variables(), compiled->variables() == 1 ? "" : "s", compiled->literals(),
               compiled->literals() == 1 ? "" : "s", listed, ev.project().path,
               listing.groups_read ? " and " + std::to_string(listing.groups_read) + " parent group" +
                                         (listing.groups_read == 1 ? "" : "s")
                                   : std::string(),
               not_secret, too_short, no_value);
  return compiled;
}

}  // namespace agent::cli
