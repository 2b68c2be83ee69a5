#include "agent/util/environment.h"

namespace agent::util {

Environment Environment::from_map(Vars vars) {
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

}  // namespace agent::util
