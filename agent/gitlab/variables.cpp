#include "agent/gitlab/variables.h"

#include <nlohmann/json.hpp>

#include "agent/gitlab/client.h"
#include "agent/gitlab/http.h"

namespace agent::gitlab {
namespace {

bool flag(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string text(const nlohmann::json& j, const char* name, std::string fallback) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

void read_into(const std::vector<nlohmann::json>& pages, const std::string& level, const std::string& owner,
               std::vector<CiVariable>& out) {
  for (const auto& item : pages) {
    // get_all flattens the pages into their items.
    if (!item.is_object()) continue;
    CiVariable v;
    v.key = text(item, "key", "");
    if (v.key.empty()) continue;
    if (auto it = item.find("value"); it != item.end() && it->is_string()) v.value = it->get<std::string>();
    v.variable_type = text(item, "variable_type", "env_var");
    v.is_protected = flag(item, "protected");
    v.masked = flag(item, "masked");
    v.hidden = flag(item, "hidden");
    v.raw = flag(item, "raw");
    v.environment_scope = text(item, "environment_scope", "*");
    v.level = level;
    v.owner = owner;
    out.push_back(std::move(v));
  }
}

std::string why(const ApiError& e, const std::string& role) {
  if (e.status() == 401 || e.status() == 403)
    return std::to_string(e.status()) + (e.status() == 401 ? " Unauthorized" : " Forbidden") + " (reading them needs the " +
           role + " role and the api scope)";
  return e.what();
}

}  // namespace

std::vector<std::string> parent_groups(const std::string& project_path) {
  std::vector<std::string> out;
  std::string p = project_path;
  for (auto slash = p.rfind('/'); slash != std::string::npos && slash > 0; slash = p.rfind('/')) {
    p.resize(slash);
    out.push_back(p);
  }
  return out;
}

VariableListing list_ci_variables(Client& client, const std::string& project_id, const std::string& project_path) {
  VariableListing out;
  try {
    read_into(client.get_all("/projects/" + url_encode(project_id) + "/variables"), "project", project_path, out.variables);
    out.project_read = true;
  } catch (const ApiError& e) {
    out.denied.push_back("project " + project_path + ": " + why(e, "Maintainer"));
  }
  for (const auto& group : parent_groups(project_path)) {
    try {
      read_into(client.get_all("/groups/" + url_encode(group) + "/variables"), "group", group, out.variables);
      ++out.groups_read;
    } catch (const ApiError& e) {
      if (e.status() == 404) continue;  // a user's namespace, not a group
      out.denied.push_back("group " + group + ": " + why(e, "Owner"));
    }
  }
  return out;
}

}  // namespace agent::gitlab
