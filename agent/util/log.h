#pragma once
// Logging: spdlog to stderr through a sink that redacts registered secrets and URL credentials.
#include <spdlog/spdlog.h>

namespace agent::util {

enum class LogLevel { quiet, normal, verbose, debug };

/// Sets up the default logger (stderr, redacting). Safe to call more than once.
void init_logging(LogLevel level, bool color);

}  // namespace agent::util
