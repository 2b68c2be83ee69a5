#include "agent/gitlab/repository_api.h"

#include <array>

#include "agent/util/error.h"

namespace agent::gitlab {
namespace {
using nlohmann::json;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// nlohmann::json refuses to dump invalid UTF-8; such content goes as base64 instead.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
    if (n == 4 || (n == 1 && c < 0xC2) || (n > 0 && i + n >= s.size())) return false;  // stray or overlong lead, cut short
    unsigned long cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += n + 1;
  }
  return true;
}

const char* action_name(CommitAction::Kind kind) {
  switch (kind) {
    case CommitAction::Kind::create: return "create";
    case CommitAction::Kind::update: return "update";
    case CommitAction::Kind::remove: return "delete";
  }
  return "update";
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 0x3F];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += rest == 2 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (std::size_t k = 0; k < kAlphabet.size(); ++k) value[static_cast<unsigned char>(kAlphabet[k])] = static_cast<int>(k);
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned acc = 0;
  int bits = 0, symbols = 0, padding = 0;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r') continue;
    if (ch == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    int v = value[static_cast<unsigned char>(ch)];
    if (v < 0 || padding > 0) return std::nullopt;  // a foreign character, or data after padding
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (symbols % 4 != 0 || padding > 2) return std::nullopt;
  return out;
}

RepositoryFile parse_repository_file(const json& j) {
  RepositoryFile f;
  f.file_path = str(j, "file_path");
  f.ref = str(j, "ref");
  f.blob_id = str(j, "blob_id");
  f.commit_id = str(j, "commit_id");
  f.last_commit_id = str(j, "last_commit_id");
  auto content = j.find("content");
  if (content == j.end() || !content->is_string())
    throw util::RuntimeError("GitLab API: file " + f.file_path + " came without its content");
  std::string encoding = str(j, "encoding");
  if (encoding.empty() || encoding == "base64") {
    auto decoded = base64_decode(content->get<std::string>());
    if (!decoded) throw util::RuntimeError("GitLab API: the content of " + f.file_path + " is not valid base64");
    f.content = std::move(*decoded);
  } else if (encoding == "text") {
    f.content = content->get<std::string>();
  } else {
    throw util::RuntimeError("GitLab API: the content of " + f.file_path + " has an unknown encoding \"" + encoding + "\"");
  }
  return f;
}

json to_json(const CommitRequest& request) {
  json actions = json::array();
  for (const auto& a : request.actions) {
    json action = {{"action", action_name(a.action)}, {"file_path", a.file_path}};
    if (a.action != CommitAction::Kind::remove) {
      bool text = valid_utf8(a.content);
      action["content"] = text ? a.content : base64_encode(a.content);
      action["encoding"] = text ? "text" : "base64";
    }
    if (a.action != CommitAction::Kind::create && !a.last_commit_id.empty()) action["last_commit_id"] = a.last_commit_id;
    actions.push_back(std::move(action));
  }
  json body = {{"branch", request.branch}, {"commit_message", request.commit_message}, {"actions", std::move(actions)}};
  if (!request.author_name.empty()) body["author_name"] = request.author_name;
  if (!request.author_email.empty()) body["author_email"] = request.author_email;
  return body;
}

bool is_stale_file_message(std::string_view message) {
  // Files::MultiService: "The file has changed since you started editing it: <path>" (older
  // releases: "You are attempting to update a file <path> that has changed since you started
  // editing it."); Gitaly's index errors for a create or update that lost a race.
  for (std::string_view marker : {"has changed since you started editing it", "A file with this name already exists",
                                  "A file with this name doesn't exist"})
    if (message.find(marker) != std::string_view::npos) return true;
  return false;
}

}  // namespace agent::gitlab
