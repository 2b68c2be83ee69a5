#include "agent/gitlab/models.h"

namespace agent::gitlab {
namespace {
using nlohmann::json;

// GitLab returns null for many fields; a null or a wrong type reads as the default.
std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::int64_t num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}
bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
std::optional<int> opt_int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}
}  // namespace

MrVersion parse_mr_version(const json& j) {
  MrVersion v;
  v.id = num(j, "id");
  v.head_commit_sha = str(j, "head_commit_sha");
  v.base_commit_sha = str(j, "base_commit_sha");
  v.start_commit_sha = str(j, "start_commit_sha");
  v.state = str(j, "state");
  return v;
}

Position parse_position(const json& j) {
  Position p;
  p.base_sha = str(j, "base_sha");
  p.start_sha = str(j, "start_sha");
  p.head_sha = str(j, "head_sha");
  p.old_path = str(j, "old_path");
  p.new_path = str(j, "new_path");
  p.position_type = str(j, "position_type");
  p.old_line = opt_int(j, "old_line");
  p.new_line = opt_int(j, "new_line");
  return p;
}

Note parse_note(const json& j) {
  Note n;
  n.id = num(j, "id");
  n.type = str(j, "type");
  n.body = str(j, "body");
  if (auto it = j.find("author"); it != j.end() && it->is_object()) {
    n.author.id = num(*it, "id");
    n.author.username = str(*it, "username");
    n.author.name = str(*it, "name");
  }
  n.system = flag(j, "system");
  n.resolvable = flag(j, "resolvable");
  n.resolved = flag(j, "resolved");
  if (auto it = j.find("position"); it != j.end() && it->is_object()) n.position = parse_position(*it);
  return n;
}

Discussion parse_discussion(const json& j) {
  Discussion d;
  d.id = str(j, "id");
  d.individual_note = flag(j, "individual_note");
  if (auto it = j.find("notes"); it != j.end() && it->is_array())
    for (const auto& n : *it) d.notes.push_back(parse_note(n));
  return d;
}

json to_json(const Position& p) {
  json j = {{"position_type", p.position_type}, {"base_sha", p.base_sha}, {"start_sha", p.start_sha},
            {"head_sha", p.head_sha}, {"old_path", p.old_path}, {"new_path", p.new_path}};
  if (p.old_line) j["old_line"] = *p.old_line;
  if (p.new_line) j["new_line"] = *p.new_line;
  return j;
}

json to_json(const CommitStatus& s) {
  json j = {{"state", s.state}, {"name", s.name}};
  if (!s.description.empty()) j["description"] = s.description;
  if (!s.target_url.empty()) j["target_url"] = s.target_url;
  if (!s.ref.empty()) j["ref"] = s.ref;
  return j;
}

}  // namespace agent::gitlab
