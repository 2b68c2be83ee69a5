// Fuzz target: `rules import-gitleaks` on a gitleaks TOML config (written to a temporary file,
// since the importer reads a path; [extend] paths resolve beside it, in an empty folder). The
// importer generates and checks examples per rule, so an input is slow: keep -max_len small.
// Documented: util::Error (UsageError naming file:line).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/controls/secrets/gitleaks_import.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

/// The config file, in a folder removed at exit (the path is never destroyed, so the exit
/// handler can still read it).
const std::filesystem::path& config_path() {
  static const std::filesystem::path* path = [] {
    char tmpl[] = "/tmp/jit-fuzz-gitleaks-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (!made) std::abort();
    auto* p = new std::filesystem::path(std::filesystem::path(made) / "gitleaks.toml");
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(config_path().parent_path(), ec);
    });
    return p;
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  {
    std::ofstream out(config_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    agent::controls::secrets::GitleaksImportOptions options;
    options.id_prefix = "gl-";
    (void)agent::controls::secrets::import_gitleaks(config_path(), options);
  } catch (const agent::util::Error&) {
  }
  return 0;
}
