#include <hs/hs.h>
#include <git2.h>

#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/settings.h"
#include "agent/config/tools.h"
#include "agent/controls/external/external_control.h"

namespace agent::cli {

void add_version(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto* sub = root.add_subcommand("version", "Print the version of jit-agent, its engines and the external tools found");
  sub->callback([&action, &global] {
    action = [&global] {
      int major = 0, minor = 0, rev = 0;
      git_libgit2_version(&major, &minor, &rev);
      std::cout << "jit-agent " << JIT_AGENT_VERSION << "\n"
                << "libgit2 " << major << '.' << minor << '.' << rev << "\n"
                << "vectorscan " << hs_version() << "\n";
      // The presets' tools: what the default plan can run on this machine.
      controls::external::ExternalOptions options;
      options.env = &global.env;
      options.tools_dir = tools_dir(global.env);
      for (const auto& spec : config::tool_presets()) {
        auto exe = controls::external::find_tool(spec, options);
        std::cout << spec.name << ' ';
        if (!exe) {
          std::cout << "not installed\n";
          continue;
        }
        std::string v = controls::external::tool_version(spec, *exe, options);
        std::cout << (v.empty() ? "(version unknown)" : v) << " (" << exe->string() << ")\n";
      }
      return 0;
    };
  });
}

}  // namespace agent::cli
