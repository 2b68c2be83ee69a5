// jit-agent entry point: run the command table, map every error to its exit code.
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

int main(int argc, char** argv) {
  using agent::util::global_redactor;
  try {
    return agent::cli::run(argc, argv);
  } catch (const agent::util::Error& e) {
    std::cerr << "jit-agent: error: " << global_redactor().apply(e.what()) << '\n';
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "jit-agent: error: " << global_redactor().apply(e.what()) << '\n';
    return static_cast<int>(agent::util::ExitCode::runtime);
  }
}
