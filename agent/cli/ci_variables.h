#pragma once
// The group's own secrets as exact values for the secrets scan of a `ci` job: the CI/CD
// variables of the scanned project and of its parent groups, read through the API with the
// integration's token, plus that token itself.
#include <memory>
#include <string>
#include <vector>

#include "agent/event/event.h"
#include "agent/gitlab/variables.h"
#include "agent/util/environment.h"

namespace agent::controls::secrets {
class ExactValues;
struct SecretValue;
}
namespace agent::gitlab {
class Client;
}

namespace agent::cli {

/// Why a variable's value is or is not looked for.
enum class VariableChoice { kept, not_secret, too_short, no_value };

/// Masked or hidden variables are always kept. A variable that is only protected, or a file-type
/// one, is kept when its key names a secret (TOKEN, SECRET, PASSWORD, ...) or its value looks
/// random (20 characters or more, 4 bits of entropy per character or more): protected variables
/// also hold region names and host names, which would match everywhere. Values shorter than 8
/// characters are never kept. `value` is the variable's value (or the job's own copy of a hidden one).
VariableChoice choose_variable(const gitlab::CiVariable& v, const std::string& value);

/// Reads the variables (gitlab::list_ci_variables) of the event's project and its parent groups,
/// chooses them (choose_variable), adds the job's own JIT_CHECKOUT_TOKEN / JIT_API_TOKEN, registers
/// every value with the log redactor and compiles them. A hidden variable (no value through the
/// API) defined in a group above this job's own project (CI_PROJECT_PATH) is taken from the job's
/// environment, where GitLab put it. Null when JIT_VARIABLE_SCAN=false or nothing is left.
/// Variables the token cannot read add one warning each to `warnings` (the scan goes on). Logs
/// counts only, never a value.
std::shared_ptr<const controls::secrets::ExactValues> load_variable_values(gitlab::Client* client, const event::Event& ev,
                                                                           const std::string& project_api_id,
                                                                           const util::Environment& env,
                                                                           std::vector<std::string>& warnings);

}  // namespace agent::cli
