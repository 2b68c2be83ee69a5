// Fuzz target: the triggering event. Mode (first byte % 3): 0 a webhook body (TRIGGER_PAYLOAD),
// 1 a JIT_EVENT document, 2 CI variables as KEY=VALUE lines through load_event (TRIGGER_PAYLOAD
// and JIT_EVENT only when they hold JSON text, never a path to read). Documented: util::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/event/jit_event.h"
#include "agent/event/load.h"
#include "agent/event/webhook.h"
#include "agent/util/environment.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

agent::util::Environment environment_from(std::string_view text) {
  agent::util::Environment::Vars vars;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(line.substr(0, eq));
    std::string value(line.substr(eq + 1));
    if (key == "TRIGGER_PAYLOAD" || key == "JIT_EVENT") {
      auto first = value.find_first_not_of(" \t\r\n");
      if (first == std::string::npos || (value[first] != '{' && value[first] != '[')) continue;
    }
    vars[key] = value;
  }
  return agent::util::Environment::from_map(std::move(vars));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  auto in = fuzz::split(data, size, 3);
  try {
    switch (in.mode) {
      case 0: {
        auto e = agent::event::parse_webhook(in.text, "TRIGGER_PAYLOAD", "https://gitlab.example.com");
        (void)agent::event::to_jit_event(e);
        break;
      }
      case 1: {
        auto e = agent::event::parse_jit_event(in.text, "JIT_EVENT", "");
        (void)agent::event::to_jit_event(e, 2);
        break;
      }
      default:
        (void)agent::event::load_event(environment_from(in.text));
        break;
    }
  } catch (const agent::util::Error&) {
  }
  return 0;
}
