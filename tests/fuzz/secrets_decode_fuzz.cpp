// Fuzz target: the secrets engine on file content, with the built-in rule packs (rules/secrets,
// compiled once) and two levels of decoding (base64, hex, percent runs inside runs), plus the
// decoder's own entry points on the raw input. Content never throws: any exception is a bug.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/controls/secrets/decode.h"
#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/rule.h"
#include "tests/fuzz/fuzz_common.h"

namespace sec = agent::controls::secrets;

namespace {

struct State {
  sec::Engine engine;
  std::unique_ptr<sec::Scratch> scratch;
  explicit State(sec::Engine e) : engine(std::move(e)), scratch(engine.make_scratch()) {}
};

State& state() {
  static State s = [] {
    sec::Engine e(sec::load_rules({sec::default_rules_dir()}), {});
    e.set_decode_depth(2);
    return State(std::move(e));
  }();
  return s;
}

}  // namespace

// Compiling the built-in packs takes seconds under ASan: done here, outside libFuzzer's -timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)state();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  State& s = state();
  std::vector<agent::findings::Finding> out;
  agent::findings::ScanStats stats;
  s.engine.scan(text, "config/settings.env", *s.scratch, out, stats);

  std::vector<sec::EncodedRun> runs;
  sec::find_encoded_runs(text, runs);
  std::string decoded;
  for (const auto& r : runs) (void)sec::decode_run(text.substr(r.start, r.end - r.start), r.encoding, decoded);
  return 0;
}
