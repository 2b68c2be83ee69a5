#include "agent/event/json_fields.h"

#include <algorithm>
#include <cctype>

#include "agent/event/event.h"
#include "agent/util/error.h"

namespace agent::event {
namespace {

std::string type_name(const nlohmann::json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();
}

std::optional<std::int64_t> digits(const std::string& s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::stoll(s);
}

}  // namespace

void JsonFields::fail(std::string_view pointer, std::string_view problem) const {
  throw util::UsageError(source_ + ": " + std::string(pointer) + " " + std::string(problem));
}

const nlohmann::json* JsonFields::find(std::string_view pointer) const {
  const nlohmann::json* node = &doc_;
  std::string_view rest = pointer;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // '/'
    auto slash = rest.find('/');
    std::string key(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node->is_null() ? nullptr : node;
}

std::string JsonFields::str(std::string_view pointer) const {
  std::string s = opt_str(pointer);
  if (s.empty()) fail(pointer, has(pointer) ? "must not be empty" : "missing");
  return s;
}

std::string JsonFields::opt_str(std::string_view pointer) const {
  const auto* v = find(pointer);
  if (!v) return "";
  if (!v->is_string()) fail(pointer, "must be a string (got " + type_name(*v) + ")");
  return v->get<std::string>();
}

std::int64_t JsonFields::integer(std::string_view pointer) const {
  const auto* v = find(pointer);
  if (!v) fail(pointer, "missing");
  return opt_int(pointer);
}

std::int64_t JsonFields::opt_int(std::string_view pointer) const {
  const auto* v = find(pointer);
  if (!v) return 0;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_string())
    if (auto n = digits(v->get<std::string>())) return *n;
  fail(pointer, "must be an integer (got " + type_name(*v) + ")");
}

bool JsonFields::opt_bool(std::string_view pointer) const {
  const auto* v = find(pointer);
  if (!v) return false;
  if (!v->is_boolean()) fail(pointer, "must be true or false (got " + type_name(*v) + ")");
  return v->get<bool>();
}

const nlohmann::json& JsonFields::object(std::string_view pointer) const {
  const auto* v = find(pointer);
  if (!v) fail(pointer, "missing");
  if (!v->is_object()) fail(pointer, "must be an object (got " + type_name(*v) + ")");
  return *v;
}

std::string JsonFields::sha(std::string_view pointer) const {
  std::string s = str(pointer);
  if (!is_full_sha(s)) fail(pointer, "must be a full commit sha (40 hex characters), got \"" + s.substr(0, 64) + "\"");
  return s;
}

std::string JsonFields::opt_sha(std::string_view pointer) const {
  std::string s = opt_str(pointer);
  if (!s.empty() && !is_full_sha(s))
    fail(pointer, "must be a full commit sha (40 hex characters), got \"" + s.substr(0, 64) + "\"");
  return s;
}

nlohmann::json parse_json_object(std::string_view text, std::string_view source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based; report line and column like an editor would.
    std::size_t upto = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    int line = 1, col = 1;
    for (std::size_t i = 0; i < upto; ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    std::string what = e.what();
    // Keep nlohmann's reason, drop its "[json.exception...] parse error at ...: " prefix.
    auto colon = what.find(": ");
    std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    if (text.empty()) reason = "the value is empty";
    throw util::UsageError(std::string(source) + ": not valid JSON (line " + std::to_string(line) +
                           ", column " + std::to_string(col) + "): " + reason);
  } catch (const nlohmann::json::exception& e) {  // a number out of range ("1e999") is out_of_range
    throw util::UsageError(std::string(source) + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object())
    throw util::UsageError(std::string(source) + ": the document must be a JSON object (got " + doc.type_name() + ")");
  return doc;
}

}  // namespace agent::event
