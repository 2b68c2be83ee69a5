#pragma once
// A snapshot of environment variables as a plain value. Only agent/event/ fills one from the
// process (event::process_environment); everything else is handed one, so tests build their own.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace agent::util {

class Environment {
 public:
  using Vars = std::map<std::string, std::string, std::less<>>;

  /// An environment with exactly these variables.
  static Environment from_map(Vars vars);

  /// The value of `name`, or nullopt when unset. An empty value is returned as "".
  std::optional<std::string> get(std::string_view name) const;
  /// The value of `name` when set and non-empty, else `fallback`.
  std::string get_or(std::string_view name, std::string_view fallback) const;
  const Vars& vars() const { return vars_; }

 private:
  Vars vars_;
};

}  // namespace agent::util
