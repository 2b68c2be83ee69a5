#include <hs/hs.h>
#include <git2.h>

#include <iostream>

#include "agent/cli/commands.h"

namespace agent::cli {

void add_version(CLI::App& root, const GlobalOptions& /*global*/, Action& action) {
  auto* sub = root.add_subcommand("version", "Print the version of jit-agent and its engines");
  sub->callback([&action] {
    action = [] {
      int major = 0, minor = 0, rev = 0;
      git_libgit2_version(&major, &minor, &rev);
      std::cout << "jit-agent " << JIT_AGENT_VERSION << "\n"
                << "libgit2 " << major << '.' << minor << '.' << rev << "\n"
                << "vectorscan " << hs_version() << "\n";
      return 0;
    };
  });
}

}  // namespace agent::cli
