#include "agent/publish/markdown.h"

#include <algorithm>
#include <cctype>

namespace agent::publish::markdown {
namespace {

constexpr std::string_view kWordJoiner = "\u2060";

/// Control characters (C0, DEL, and the C1 range as UTF-8 "\xC2\x80".."\xC2\x9F") become spaces;
/// invalid UTF-8 bytes become U+FFFD so GitLab never rejects the body.
std::string clean(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    bool valid = len != 0 && i + len <= in.size();
    for (std::size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      out += "\uFFFD";
      ++i;
      continue;
    }
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(in[i + 1]) < 0xA0) out += ' ';  // C1 controls
    else out.append(in.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  const std::string_view ellipsis = "…";
  std::size_t cut = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + std::string(ellipsis);
}

std::string code(std::string_view raw, std::size_t max_bytes) {
  std::string content = truncate_utf8(clean(raw), max_bytes);
  // A fence longer than any backtick run inside cannot be closed early (CommonMark code spans).
  std::size_t longest = 0, run = 0;
  for (char c : content) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(longest + 1, '`');
  // One space on both sides is stripped by the renderer, so content starting or ending with a
  // backtick (or a space) survives unchanged.
  return fence + " " + content + " " + fence;
}

std::string code_block(std::string_view raw, std::size_t max_bytes) {
  std::string content;
  // Lines are cleaned one by one so the newlines between them survive.
  for (std::size_t start = 0; start <= raw.size();) {
    auto end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view line = raw.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!content.empty() || start > 0) content += '\n';
    content += clean(line);
    start = end + 1;
  }
  while (!content.empty() && content.back() == '\n') content.pop_back();
  content = truncate_utf8(content, max_bytes);
  std::size_t longest = 0, run = 0;
  for (char c : content) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  return fence + "\n" + content + "\n" + fence + "\n";
}

std::string text(std::string_view raw, std::size_t max_bytes) {
  std::string content = truncate_utf8(clean(raw), max_bytes);
  std::string out;
  out.reserve(content.size() + 16);
  for (std::size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
      out += kWordJoiner;
    } else if (std::ispunct(static_cast<unsigned char>(c))) {
      out += '\\';
      out += c;
      if (c == '@' || c == '#' || c == '!' || c == '~' || c == '%' || c == '$') out += kWordJoiner;
      if (c == ':' && content.compare(i + 1, 2, "//") == 0) out += kWordJoiner;
    } else {
      out += c;
    }
  }
  return out;
}

bool is_safe_url(std::string_view url) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return false;
  if (url.size() > 2048) return false;
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' || c == ')' ||
        c == '[' || c == ']' || c == '\\' || c == '`')
      return false;
  }
  return true;
}

}  // namespace agent::publish::markdown
