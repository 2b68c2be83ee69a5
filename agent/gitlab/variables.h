#pragma once
// The CI/CD variables GitLab holds for a project and its parent groups (project-level and
// group-level variables APIs), read so the secrets scan can look for their values.
#include <optional>
#include <string>
#include <vector>

namespace agent::gitlab {

class Client;

/// One variable as GitLab lists it, with where it is defined.
struct CiVariable {
  std::string key;
  std::optional<std::string> value;     ///< null for a hidden variable: GitLab never returns its value
  std::string variable_type = "env_var";  ///< "env_var" | "file"
  bool is_protected = false;
  bool masked = false;
  bool hidden = false;
  bool raw = false;
  std::string environment_scope = "*";
  std::string level;                    ///< "project" | "group"
  std::string owner;                    ///< full path of the project or group
};

struct VariableListing {
  std::vector<CiVariable> variables;
  /// Where the token could not read the variables, one line each, e.g. "group acme: 403 Forbidden
  /// (reading group variables needs the Owner role)". Never fatal.
  std::vector<std::string> denied;
  std::size_t groups_read = 0;
  bool project_read = false;
};

/// The parent groups of `project_path` ("acme/platform/api" -> "acme/platform", "acme"), nearest first.
std::vector<std::string> parent_groups(const std::string& project_path);

/// GET /projects/:id/variables, then GET /groups/:path/variables for each parent group (all
/// pages). A group that is a user's namespace (404) is skipped; 401/403 and failures that
/// survive the retries are listed in `denied`. Nothing is logged here: values never pass a log.
VariableListing list_ci_variables(Client& client, const std::string& project_id, const std::string& project_path);

}  // namespace agent::gitlab
