#include "agent/event/environment.h"

extern char** environ;  // NOLINT: POSIX

namespace agent::event {

Environment process_environment() {
  Environment::Vars vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return Environment::from_map(std::move(vars));
}

}  // namespace agent::event
