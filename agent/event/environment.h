#pragma once
// A snapshot of the process environment. This folder is the only place that reads it:
// everything else is handed an Environment, so tests pass their own.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace agent::event {

class Environment {
 public:
  /// Copies the environment of this process (the one call of `environ` in the agent).
  static Environment from_process();
  /// An environment with exactly these variables (for tests).
  static Environment from_map(std::map<std::string, std::string, std::less<>> vars);

  /// The value of `name`, or nullopt when unset. An empty value is returned as "".
  std::optional<std::string> get(std::string_view name) const;
  /// The value of `name` when set and non-empty, else `fallback`.
  std::string get_or(std::string_view name, std::string_view fallback) const;
  const std::map<std::string, std::string, std::less<>>& vars() const { return vars_; }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace agent::event
