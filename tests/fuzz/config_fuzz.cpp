// Fuzz target: configuration files a repository or an organisation controls. Mode (first byte % 6):
// 0 jit.yml (central layer), 1 .jit/jit-config.yml (repository layer), 2 a `folders:` list,
// 3 ignores.yml (then add_ignore_text/remove_ignore_text, whose output must parse again),
// 4 osv-scanner.toml, 5 an OpenVEX document. Documented: util::Error (UsageError).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

#include "agent/config/config.h"
#include "agent/config/folders.h"
#include "agent/config/ignores.h"
#include "agent/config/osv_scanner_config.h"
#include "agent/config/vex.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using namespace agent::config;

/// add_ignore_text on a valid file must give a valid file holding one entry more.
void check_edit(std::string_view text, const Ignores& parsed) {
  IgnoreEntry entry;
  entry.fingerprint = "00112233445566778899aabbccddeeff";
  entry.reason = IgnoreReason::accepted_risk;
  entry.comment = "fuzz: a baseline entry";
  entry.created = "2026-01-01T00:00:00Z";
  std::string added = add_ignore_text(text, entry, "ignores.yml");
  Ignores again;
  try {
    again = parse_ignores(added, "ignores.yml");
  } catch (const agent::util::Error& e) {
    std::fprintf(stderr, "add_ignore_text made an invalid file: %s\n", e.what());
    std::abort();
  }
  if (again.entries.size() != parsed.entries.size() + 1) {
    std::fprintf(stderr, "add_ignore_text: %zu entries, then %zu\n", parsed.entries.size(), again.entries.size());
    std::abort();
  }
  (void)remove_ignore_text(added, entry.fingerprint, "ignores.yml");
  if (!parsed.entries.empty() && !parsed.entries.front().fingerprint.empty())
    (void)remove_ignore_text(text, parsed.entries.front().fingerprint, "ignores.yml");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  auto in = fuzz::split(data, size, 6);
  try {
    switch (in.mode) {
      case 0: {
        Config c = default_config();
        apply_layer(c, in.text, "jit.yml", Layer::central);
        break;
      }
      case 1: {
        Config c = default_config();
        apply_layer(c, in.text, ".jit/jit-config.yml", Layer::repository);
        break;
      }
      case 2:
        (void)parse_folders(in.text, ".jit/jit-config.yml");
        break;
      case 3: {
        Ignores parsed = parse_ignores(in.text, "ignores.yml");
        check_edit(in.text, parsed);
        break;
      }
      case 4:
        (void)parse_osv_scanner_config(in.text, "osv-scanner.toml");
        break;
      default:
        (void)parse_vex(in.text, "vex.json");
        break;
    }
  } catch (const agent::util::Error&) {
  }
  return 0;
}
