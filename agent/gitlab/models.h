#pragma once
// The parts of GitLab's REST v4 resources the agent reads and writes (missing JSON fields -> defaults).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agent::gitlab {

/// One entry of GET /projects/:id/merge_requests/:iid/versions (newest first).
struct MrVersion {
  std::int64_t id = 0;
  std::string head_commit_sha;
  std::string base_commit_sha;
  std::string start_commit_sha;
  std::string state;              ///< collected | overflow | without_files | ...
};

/// A diff position (position_type "text"): added line -> new_line only, removed -> old_line only.
struct Position {
  std::string base_sha;
  std::string start_sha;
  std::string head_sha;
  std::string old_path;
  std::string new_path;
  std::string position_type = "text";
  std::optional<int> old_line;
  std::optional<int> new_line;
};

struct Author {
  std::int64_t id = 0;
  std::string username;
  std::string name;
};

/// A note (comment), standalone or inside a discussion.
struct Note {
  std::int64_t id = 0;
  std::string type;               ///< "DiscussionNote", "DiffNote", or "" (null)
  std::string body;
  Author author;
  bool system = false;
  bool resolvable = false;
  bool resolved = false;
  std::optional<Position> position;
};

/// A thread of notes; `notes.front()` started it.
struct Discussion {
  std::string id;
  bool individual_note = false;
  std::vector<Note> notes;
};

/// Body of POST /projects/:id/statuses/:sha.
struct CommitStatus {
  std::string state;              ///< pending | running | success | failed | canceled | skipped
  std::string name;
  std::string description;        ///< <= 255 characters (GitLab's limit)
  std::string target_url;         ///< <= 255 characters; omitted when empty
  std::string ref;                ///< omitted when empty
};

MrVersion parse_mr_version(const nlohmann::json& j);
Position parse_position(const nlohmann::json& j);
Note parse_note(const nlohmann::json& j);
Discussion parse_discussion(const nlohmann::json& j);

/// The JSON GitLab expects for a position (null lines omitted).
nlohmann::json to_json(const Position& p);
/// The JSON body of a commit status request (empty optional fields omitted).
nlohmann::json to_json(const CommitStatus& s);

}  // namespace agent::gitlab
