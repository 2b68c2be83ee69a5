#pragma once
// Errors: one exception hierarchy, caught once in main() and mapped to an exit code.
#include <stdexcept>
#include <string>

namespace agent::util {

/// Process exit codes; documented in --help and the README.
enum class ExitCode : int {
  ok = 0,            ///< nothing at or above --fail-on
  findings = 1,      ///< findings at or above --fail-on (or policy failed)
  usage = 2,         ///< bad command line, configuration, rule file or event payload
  runtime = 3,       ///< I/O, network, git or tool failure
  publish = 4,       ///< reports written, but posting results back to GitLab failed
  control = 5,       ///< reports written, but a control errored (tool missing, crashed, timed out, bad output)
};

/// Base of every error the agent reports to the user; what() is the one-line message.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

/// Bad input from the user: flags, config/rule files, event payloads (exit 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::usage, message) {}
};

/// Something failed while working: I/O, network, git (exit 3).
class RuntimeError : public Error {
 public:
  explicit RuntimeError(const std::string& message) : Error(ExitCode::runtime, message) {}
};

/// "file:line:col: message" (line/col 1-based; omitted when 0), the form editors jump to.
std::string at(const std::string& file, int line, int column, const std::string& message);

}  // namespace agent::util
