#include "agent/cli/commands.h"

#include <unistd.h>

#include <array>
#include <iostream>

#include "agent/event/environment.h"
#include "agent/util/error.h"
#include "agent/util/log.h"

namespace agent::cli {
namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  success: no finding at or above --fail-on\n"
    "  1  findings at or above --fail-on\n"
    "  2  usage or configuration error (bad flag, rule file, config file, event payload)\n"
    "  3  runtime error (I/O, git, network, tool failure)\n"
    "  4  reports written, but posting results back to GitLab failed\n"
    "  5  reports written, but a control errored (tool missing, crashed, timed out, bad output)\n"
    "  6  merge: partial results of a shard missing, or the shards disagree; nothing written or posted\n"
    "  7  doctor: the worst check is a warning; setup: done except the group webhook (GitLab Premium missing)\n"
    "  8  doctor: at least one check failed\n";

constexpr std::array kCommands = {add_scan, add_ci, add_merge, add_rules, add_config, add_ignore, add_db, add_version, add_fetch, add_setup, add_doctor};

}  // namespace

bool use_color(const GlobalOptions& global, int stream_fd) {
  if (global.color == "always") return true;
  if (global.color == "never") return false;
  if (!global.env.get_or("NO_COLOR", "").empty()) return false;
  return isatty(stream_fd) != 0;
}

int run(int argc, char** argv) {
  CLI::App app{"jit-agent: secrets, dependency and tool scanning for GitLab CI and local checkouts"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  global.env = event::process_environment();
  app.add_flag("-v,--verbose", global.verbosity, "More log output (repeat for debug)");
  app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
  app.add_option("--color", global.color, "Colour in terminal output")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.set_version_flag("--version", std::string("jit-agent ") + JIT_AGENT_VERSION);

  Action action;
  for (Registrar add : kCommands) add(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    throw util::UsageError(e.what());
  }
  util::init_logging(global.quiet           ? util::LogLevel::quiet
                     : global.verbosity >= 2 ? util::LogLevel::debug
                     : global.verbosity == 1 ? util::LogLevel::verbose
                                             : util::LogLevel::normal,
                     use_color(global, STDERR_FILENO));
  if (!action) throw util::UsageError("no command given (see --help)");
  return action();
}

}  // namespace agent::cli
