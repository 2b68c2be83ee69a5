#include "agent/event/load.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "agent/event/ci_vars.h"
#include "agent/event/jit_event.h"
#include "agent/event/webhook.h"
#include "agent/util/error.h"

namespace agent::event {
namespace {

bool looks_like_json(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '{' || c == '[';
  }
  return false;
}

std::string read_payload_file(const std::filesystem::path& path, const std::string& source) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw util::UsageError(source + ": not a readable file" + (ec ? " (" + ec.message() + ")" : std::string()));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) throw util::UsageError(source + ": cannot read the file");
  return out.str();
}

}  // namespace

std::string server_url_from(const Environment& env) {
  std::string url = env.get_or("CI_SERVER_URL", "");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Event load_event(const Environment& env) {
  std::string server = server_url_from(env);
  // GitLab writes the webhook body of a triggered pipeline into a file variable: the value is a
  // path. A non-file variable holding the body itself is accepted too.
  if (auto payload = env.get("TRIGGER_PAYLOAD"); payload && !payload->empty()) {
    if (looks_like_json(*payload)) return parse_webhook(*payload, "TRIGGER_PAYLOAD", server);
    std::string source = "TRIGGER_PAYLOAD (" + *payload + ")";
    return parse_webhook(read_payload_file(*payload, source), source, server);
  }
  if (auto jit = env.get("JIT_EVENT"); jit && !jit->empty()) {
    if (looks_like_json(*jit)) return parse_jit_event(*jit, "JIT_EVENT", server);
    std::string source = "JIT_EVENT (" + *jit + ")";
    std::error_code ec;
    if (!std::filesystem::exists(*jit, ec))
      throw util::UsageError("JIT_EVENT: neither a JSON object nor the path of an existing file");
    return parse_jit_event(read_payload_file(*jit, source), source, server);
  }
  if (auto event = event_from_ci_vars(env)) return std::move(*event);
  throw util::UsageError(
      "no event to scan: TRIGGER_PAYLOAD, JIT_EVENT and CI_PIPELINE_SOURCE are all unset "
      "(run in a GitLab pipeline, or set JIT_EVENT; see docs/jit-event.md)");
}

}  // namespace agent::event
