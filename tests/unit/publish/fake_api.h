#pragma once
// An in-memory GitLab for publish tests: keeps discussions, notes and statuses, refuses
// positions outside its diff (400) like GitLab, and can fail chosen calls.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/gitlab/api.h"

namespace agent::publish::test {

class FakeApi : public gitlab::Api {
 public:
  std::vector<gitlab::MrVersion> versions{{2, "headsha2", "basesha", "startsha", "collected"},
                                          {1, "headsha1", "basesha", "startsha", "collected"}};
  std::map<std::string, std::set<int>> diff;   ///< new_path -> added lines GitLab accepts
  std::vector<gitlab::Discussion> discussions;
  std::vector<gitlab::CommitStatus> statuses;
  std::vector<std::string> calls;              ///< "GET versions", "POST discussion", ...
  std::set<std::string> fail;                  ///< call names that throw ApiError(fail_status)
  std::set<std::string> fail_once;             ///< ... once, before doing anything
  std::set<std::string> fail_once_after;       ///< ... once, after applying the write (answer lost)
  long fail_status = 500;
  std::int64_t me = 99;                         ///< the token's user id

  int writes() const {
    int n = 0;
    for (const auto& c : calls) n += c.rfind("GET", 0) == 0 ? 0 : 1;
    return n;
  }

  std::vector<gitlab::MrVersion> merge_request_versions(const std::string&, std::int64_t) override {
    call("GET versions");
    return versions;
  }
  std::vector<gitlab::Discussion> merge_request_discussions(const std::string&, std::int64_t) override {
    call("GET discussions");
    return discussions;
  }
  gitlab::Discussion create_discussion(const std::string&, std::int64_t, const std::string& body,
                                       const std::optional<gitlab::Position>& position) override {
    call("POST discussion");
    if (position) {
      const auto& p = *position;
      bool ok = p.head_sha == versions.front().head_commit_sha && p.base_sha == versions.front().base_commit_sha &&
                p.start_sha == versions.front().start_commit_sha && p.new_line && !p.old_line &&
                !p.old_path.empty() && diff.count(p.new_path) && diff[p.new_path].count(*p.new_line);
      if (!ok) throw gitlab::ApiError(400, "400 Bad request - Note {:line_code=>[\"can't be blank\"]}");
    }
    gitlab::Discussion d;
    d.id = "d" + std::to_string(discussions.size() + 1);
    d.notes.push_back(note(body, true, position));
    discussions.push_back(d);
    lose_answer("POST discussion");
    return d;
  }
  gitlab::Note reply_to_discussion(const std::string&, std::int64_t, const std::string& id,
                                   const std::string& body) override {
    call("POST reply");
    auto& d = find(id);
    d.notes.push_back(note(body, true, std::nullopt));
    d.notes.back().resolved = d.notes.front().resolved;
    return d.notes.back();
  }
  gitlab::Discussion resolve_discussion(const std::string&, std::int64_t, const std::string& id,
                                        bool resolved) override {
    call(resolved ? "PUT resolve" : "PUT unresolve");
    auto& d = find(id);
    for (auto& n : d.notes) n.resolved = resolved;
    return d;
  }
  std::vector<gitlab::Note> merge_request_notes(const std::string&, std::int64_t) override {
    call("GET notes");
    std::vector<gitlab::Note> out;
    for (const auto& d : discussions)
      for (const auto& n : d.notes) out.push_back(n);
    return out;
  }
  gitlab::Note create_note(const std::string&, std::int64_t, const std::string& body) override {
    call("POST note");
    gitlab::Discussion d;
    d.id = "n" + std::to_string(discussions.size() + 1);
    d.individual_note = true;
    d.notes.push_back(note(body, false, std::nullopt));
    discussions.push_back(d);
    lose_answer("POST note");
    return d.notes.back();
  }
  gitlab::Note update_note(const std::string&, std::int64_t, std::int64_t id, const std::string& body) override {
    call("PUT note");
    for (auto& d : discussions)
      for (auto& n : d.notes)
        if (n.id == id) {
          if (n.author.id != me) throw gitlab::ApiError(403, "403 Forbidden");
          n.body = body;
          return n;
        }
    throw gitlab::ApiError(404, "404 Note Not Found");
  }
  void set_commit_status(const std::string&, const std::string&, const gitlab::CommitStatus& s) override {
    call("POST status");
    statuses.push_back(s);
  }

  /// A note by another user (e.g. someone quoting our marker).
  void add_foreign_note(const std::string& body) {
    gitlab::Discussion d;
    d.id = "f" + std::to_string(discussions.size() + 1);
    d.individual_note = true;
    d.notes.push_back(note(body, false, std::nullopt));
    d.notes.back().author.id = 5;
    discussions.push_back(d);
  }

  std::vector<const gitlab::Discussion*> threads() const {
    std::vector<const gitlab::Discussion*> out;
    for (const auto& d : discussions)
      if (!d.individual_note) out.push_back(&d);
    return out;
  }
  std::vector<const gitlab::Note*> standalone_notes() const {
    std::vector<const gitlab::Note*> out;
    for (const auto& d : discussions)
      if (d.individual_note) out.push_back(&d.notes.front());
    return out;
  }

 private:
  void call(const std::string& name) {
    calls.push_back(name);
    if (fail.count(name) || fail_once.erase(name))
      throw gitlab::ApiError(fail_status, name + ": HTTP " + std::to_string(fail_status));
  }
  void lose_answer(const std::string& name) {
    if (fail_once_after.erase(name)) throw gitlab::ApiError(fail_status, name + ": answer lost");
  }
  gitlab::Note note(const std::string& body, bool resolvable, const std::optional<gitlab::Position>& p) {
    gitlab::Note n;
    n.id = next_id_++;
    n.body = body;
    n.author.id = me;
    n.resolvable = resolvable;
    n.position = p;
    return n;
  }
  gitlab::Discussion& find(const std::string& id) {
    for (auto& d : discussions)
      if (d.id == id) return d;
    throw gitlab::ApiError(404, "404 Discussion Not Found");
  }
  std::int64_t next_id_ = 100;
};

}  // namespace agent::publish::test
