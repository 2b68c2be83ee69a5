#pragma once
// Runs one tool: Boost.Process v2 in its own process group, a minimal environment, stdin from
// /dev/null, stdout and stderr read concurrently with bounds, a timeout that ends the whole
// group (SIGTERM, a grace period, SIGKILL). No shell is involved: argv only.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace agent::controls::external {

struct RunRequest {
  std::filesystem::path executable;
  std::vector<std::string> args;
  std::filesystem::path cwd;
  std::vector<std::string> env;                 ///< "NAME=value" entries: the child's whole environment
  std::chrono::milliseconds timeout{300'000};
  std::chrono::milliseconds grace{2'000};       ///< between SIGTERM and SIGKILL to the group
  bool stdout_is_report = false;                ///< keep stdout whole, up to max_report_bytes
  std::uint64_t max_report_bytes = 256ull << 20;
  std::size_t max_capture_bytes = 64u << 10;    ///< tail kept of stderr (and of stdout when not a report)
};

struct RunOutcome {
  std::string launch_error;   ///< non-empty when the tool could not be started
  bool exited = false;        ///< ended with an exit status (else: a signal)
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  bool stdout_too_large = false;  ///< the stdout report passed max_report_bytes: the tool was stopped, nothing kept
  std::string out;            ///< stdout (whole when a report, else its tail)
  std::string err;            ///< tail of stderr
  std::chrono::milliseconds elapsed{0};
};

/// Runs the request to completion (or to its timeout); never throws for the tool's behaviour.
RunOutcome run_process(const RunRequest& request);

/// "SIGSEGV", "SIGKILL", ... or "signal N".
std::string signal_name(int signal);

}  // namespace agent::controls::external
