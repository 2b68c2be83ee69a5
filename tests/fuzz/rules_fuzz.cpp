// Fuzz target: secret rule packs and .gitleaksignore. Mode (first byte % 3): 0 a rule pack (YAML);
// 1 a rule pack that, when it loads with at most 2 rules, is compiled into an Engine (Vectorscan +
// RE2) which then scans the pack's own text; 2 a .gitleaksignore file.
// Documented: util::Error (UsageError naming file:line:col).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/gitleaks_ignore.h"
#include "agent/controls/secrets/rule.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace sec = agent::controls::secrets;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  auto in = fuzz::split(data, size, 3);
  try {
    switch (in.mode) {
      case 0:
        (void)sec::load_rules_from_string(std::string(in.text), "pack.yaml");
        break;
      case 1: {
        sec::RuleSet rules = sec::load_rules_from_string(std::string(in.text), "pack.yaml");
        if (rules.rules.empty() || rules.rules.size() > 2) break;
        sec::Engine engine(std::move(rules), {});
        auto scratch = engine.make_scratch();
        std::vector<agent::findings::Finding> out;
        agent::findings::ScanStats stats;
        engine.scan(in.text, "pack.yaml", *scratch, out, stats);
        break;
      }
      default: {
        std::vector<std::string> warnings;
        (void)sec::parse_gitleaks_ignore(in.text, ".gitleaksignore", warnings);
        break;
      }
    }
  } catch (const agent::util::Error&) {
  }
  return 0;
}
