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

#include <nlohmann/json.hpp>

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

/// GitLab fills TRIGGER_PAYLOAD in every triggered pipeline: for a webhook it is the webhook
/// body, for the trigger API (a relay passing JIT_EVENT) it is the request's own parameters
/// (`ref`, `variables`, ...), which carry no `object_kind`.
bool is_trigger_api_request(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  return doc.is_object() && !doc.contains("object_kind") && !doc.contains("event_name");
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
  auto jit = env.get("JIT_EVENT");
  const bool has_jit_event = jit && !jit->empty();
  if (auto payload = env.get("TRIGGER_PAYLOAD"); payload && !payload->empty()) {
    std::string source = "TRIGGER_PAYLOAD";
    std::string body = *payload;
    if (!looks_like_json(*payload)) {
      source += " (" + *payload + ")";
      body = read_payload_file(*payload, source);
    }
    if (!has_jit_event || !is_trigger_api_request(body)) return parse_webhook(body, source, server);
  }
  if (has_jit_event) {
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
