#pragma once
// The command table: one registrar per subcommand, each in its own file.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "agent/util/environment.h"

namespace agent::cli {

/// What a chosen subcommand runs after parsing; returns the process exit code.
using Action = std::function<int()>;

/// Options every command shares.
struct GlobalOptions {
  int verbosity = 0;       ///< -v, -vv
  bool quiet = false;      ///< -q: errors only
  std::string color = "auto";  ///< auto | always | never
  util::Environment env;       ///< the process environment, read once
};

/// Adds a subcommand to `root`; when it is chosen, sets `action` (lives as long as `root`).
using Registrar = void (*)(CLI::App& root, const GlobalOptions& global, Action& action);

void add_scan(CLI::App& root, const GlobalOptions& global, Action& action);
void add_ci(CLI::App& root, const GlobalOptions& global, Action& action);
void add_merge(CLI::App& root, const GlobalOptions& global, Action& action);
void add_rules(CLI::App& root, const GlobalOptions& global, Action& action);
void add_version(CLI::App& root, const GlobalOptions& global, Action& action);
void add_fetch(CLI::App& root, const GlobalOptions& global, Action& action);
void add_db(CLI::App& root, const GlobalOptions& global, Action& action);
void add_config(CLI::App& root, const GlobalOptions& global, Action& action);
void add_ignore(CLI::App& root, const GlobalOptions& global, Action& action);
void add_setup(CLI::App& root, const GlobalOptions& global, Action& action);
void add_doctor(CLI::App& root, const GlobalOptions& global, Action& action);

/// Parses argv, runs the chosen command, returns its exit code. Throws util::Error.
int run(int argc, char** argv);

/// True when colour should be used on `stream_fd` given --color.
bool use_color(const GlobalOptions& global, int stream_fd);

}  // namespace agent::cli
