#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/gitlab/models.h"

using namespace agent::gitlab;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
fs::path api_dir() { return fs::path(JIT_SHARED_DATA_DIR) / "gitlab" / "api"; }
json load(const std::string& name) {
  std::ifstream in(api_dir() / name);
  return json::parse(in);
}
}  // namespace

TEST_CASE("models parse GitLab's documented examples") {
  if (!fs::exists(api_dir())) SKIP("shared data absent: " << api_dir().string());

  auto versions = load("GET-projects-id-merge_requests-iid-versions.response.json");
  auto v = parse_mr_version(versions.at(0));
  CHECK(v.id == 110);
  CHECK(v.head_commit_sha == "33e2ee8579fda5bc36accc9c6fbd0b4fefda9e30");
  CHECK(v.base_commit_sha == "eeb57dffe83deb686a60a71c16c32f71046868fd");
  CHECK(v.start_commit_sha == "eeb57dffe83deb686a60a71c16c32f71046868fd");
  CHECK(v.state == "collected");

  auto discussions = load("GET-projects-id-merge_requests-iid-discussions.response.json");
  auto d = parse_discussion(discussions.at(0));
  CHECK(d.id == "6a9c1750b37d513a43987b574953fceb50b03ce7");
  CHECK_FALSE(d.individual_note);
  REQUIRE(d.notes.size() == 2);
  CHECK(d.notes[0].body == "discussion text");
  CHECK(d.notes[0].type == "DiscussionNote");
  CHECK(d.notes[0].resolvable);
  CHECK_FALSE(d.notes[0].resolved);
  CHECK(d.notes[0].author.username == "root");
  auto single = parse_discussion(discussions.at(1));
  CHECK(single.individual_note);
  CHECK(single.notes.at(0).type.empty());  // "type": null

  auto diffnote = parse_discussion(load("GET-projects-id-merge_requests-iid-discussions.diffnote.response.json").at(0));
  REQUIRE(diffnote.notes.at(0).position.has_value());
  const auto& p = *diffnote.notes[0].position;
  CHECK(p.new_path == "package.json");
  CHECK(p.new_line == 27);
  CHECK(p.old_line == 27);
  CHECK(p.head_sha == "4803c71e6b1833ca72b8b26ef2ecd5adc8a38031");

  auto note = parse_note(load("GET-projects-id-merge_requests-iid-notes-note_id.response.json"));
  CHECK(note.id == 301);
  CHECK(note.body == "Comment for MR");
  CHECK_FALSE(note.system);
}

TEST_CASE("a position serialises with only the lines it has") {
  Position p;
  p.base_sha = "b";
  p.start_sha = "s";
  p.head_sha = "h";
  p.old_path = "a";
  p.new_path = "a";
  p.new_line = 3;
  auto j = to_json(p);
  CHECK(j["new_line"] == 3);
  CHECK_FALSE(j.contains("old_line"));
  CHECK(parse_position(j).new_line == 3);
  CHECK_FALSE(parse_position(j).old_line.has_value());
}

TEST_CASE("null and missing fields read as defaults") {
  auto n = parse_note(json::parse(R"({"id":1,"body":null,"author":null,"position":null})"));
  CHECK(n.id == 1);
  CHECK(n.body.empty());
  CHECK_FALSE(n.position.has_value());
}
