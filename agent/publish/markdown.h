#pragma once
// Making text from scanned files inert in GitLab Markdown: no links, images, HTML, mentions
// (@user), references (#1, !2, ~label) or formatting can come out of a file name or a match.
#include <cstddef>
#include <string>
#include <string_view>

namespace agent::publish::markdown {

/// An inline code span holding `text` verbatim: GitLab renders nothing inside code (no
/// references, autolinks or HTML). Control characters and newlines become spaces; longer
/// than `max_bytes` is cut at a UTF-8 boundary with "…".
std::string code(std::string_view text, std::size_t max_bytes = 200);

/// A fenced code block holding `text` verbatim (several lines allowed): the fence is a backtick
/// run longer than any inside, so no line can close it early, and GitLab renders nothing inside
/// (no mentions, references, links or HTML). Control characters other than newlines become
/// spaces; cut at `max_bytes`. Ends with a newline.
std::string code_block(std::string_view text, std::size_t max_bytes = 2000);

/// Plain prose made inert: ASCII punctuation backslash-escaped, and a word joiner (U+2060)
/// after @ # ! ~ % $ & and inside "://" so GitLab's reference and autolink filters (which run
/// on the rendered text) find nothing. Newlines become spaces; cut at `max_bytes`.
std::string text(std::string_view text, std::size_t max_bytes = 300);

/// At most `max_bytes` bytes of `text`, never cutting a UTF-8 sequence; "…" added when cut.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

/// True for an absolute http(s) URL without whitespace, quotes, brackets or parentheses
/// (safe to put in a Markdown link target).
bool is_safe_url(std::string_view url);

}  // namespace agent::publish::markdown
