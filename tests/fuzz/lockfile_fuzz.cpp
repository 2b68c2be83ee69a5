// Fuzz target: every lockfile and manifest format. The first byte picks the LockfileKind
// (modulo the number of kinds, in the order of lockfiles.h), the rest is the file. Includes
// (requirements -r, go.sum, parent POMs) read a fixed small file. Documented: util::Error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using agent::controls::dependencies::LockfileKind;
constexpr unsigned kKinds = static_cast<unsigned>(LockfileKind::gradle_verification) + 1;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  auto in = fuzz::split(data, size, kKinds);
  auto kind = static_cast<LockfileKind>(in.mode);
  agent::controls::dependencies::ParseOptions options;
  options.read_include = [](const std::string&) -> std::optional<std::string> {
    return std::string("requests==2.31.0\n");
  };
  try {
    (void)agent::controls::dependencies::parse_lockfile_as(
        kind, std::string(agent::controls::dependencies::kind_name(kind)), in.text, options);
  } catch (const agent::util::Error&) {
  }
  return 0;
}
