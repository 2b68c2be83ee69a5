#include "agent/event/environment.h"

extern char** environ;  // NOLINT: POSIX

namespace agent::event {

Environment Environment::from_process() {
  std::map<std::string, std::string, std::less<>> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return from_map(std::move(vars));
}

Environment Environment::from_map(std::map<std::string, std::string, std::less<>> vars) {
  Environment env;
  env.vars_ = std::move(vars);
  return env;
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::string Environment::get_or(std::string_view name, std::string_view fallback) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return std::string(fallback);
  return it->second;
}

}  // namespace agent::event
