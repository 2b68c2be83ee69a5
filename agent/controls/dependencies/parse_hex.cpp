// mix.lock (Elixir): one Elixir map literal, "app": {:hex, :package, "version", "inner checksum",
// [build tools], [dependencies], "repo", "outer checksum"} (older locks end after the version or
// the dependencies), or {:git, "url", "revision", [options]}. Read with a small parser of Elixir's
// literal syntax (maps, tuples, lists, keyword lists, strings, atoms, numbers), nesting bounded.
// Packages of another Hex repository (an organisation's "hexpm:org", a self-hosted one) are not
// what OSV's Hex records name; git dependencies carry no version: both are reported, not checked.
// The lock does not say which dependencies mix.exs declares itself.
#include <cctype>
#include <vector>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr int kMaxDepth = 64;

struct Term {
  enum class Kind { map, tuple, list, string, atom, number, identifier };
  Kind kind = Kind::identifier;
  std::string text;         ///< string contents, atom or identifier name, number as written
  std::vector<Term> items;  ///< tuple/list elements; a map's keys and values alternating
  std::size_t offset = 0;   ///< where the term starts in the text
};

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '@'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class TermParser {
 public:
  TermParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  Term document() {
    Term t = term(0);
    skip_space();
    if (pos_ < text_.size()) error(pos_, "unexpected text after the lock's map");
    return t;
  }

 private:
  [[noreturn]] void error(std::size_t at, const std::string& message) const {
    auto [line, col] = line_col_at(text_, at);
    fail(path_, line, col, message);
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      if (is_space(text_[pos_])) {
        ++pos_;
      } else if (text_[pos_] == '#') {  // a comment, to the end of the line
        std::size_t nl = text_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
      } else {
        break;
      }
    }
  }

  Term term(int depth) {
    if (depth > kMaxDepth) error(pos_, "terms nested more than " + std::to_string(kMaxDepth) + " deep");
    skip_space();
    if (pos_ >= text_.size()) error(pos_, "unexpected end of file");
    char c = text_[pos_];
    Term t;
    t.offset = pos_;
    if (c == '%' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
      pos_ += 2;
      t.kind = Term::Kind::map;
      elements(t, '}', depth, true);
    } else if (c == '{') {
      ++pos_;
      t.kind = Term::Kind::tuple;
      elements(t, '}', depth, false);
    } else if (c == '[') {
      ++pos_;
      t.kind = Term::Kind::list;
      elements(t, ']', depth, false);
    } else if (c == '"') {
      t.kind = Term::Kind::string;
      t.text = string();
    } else if (c == ':' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
      ++pos_;
      t.kind = Term::Kind::atom;
      t.text = string();
    } else if (c == ':' && pos_ + 1 < text_.size() && is_ident_start(text_[pos_ + 1])) {
      ++pos_;
      t.kind = Term::Kind::atom;
      t.text = identifier();
    } else if ((c >= '0' && c <= '9') || c == '-') {
      t.kind = Term::Kind::number;
      std::size_t start = pos_++;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '.' || text_[pos_] == '_')) {
        ++pos_;
      }
      t.text = std::string(text_.substr(start, pos_ - start));
    } else if (is_ident_start(c)) {
      t.kind = Term::Kind::identifier;  // true, false, nil, module names
      t.text = identifier();
    } else {
      error(pos_, std::string("unexpected character '") + c + "' (not an Elixir term)");
    }
    return t;
  }

  std::string identifier() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && (is_ident_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '?' || text_[pos_] == '!')) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // A double-quoted string at pos_ (escapes read, interpolation not: locks have none).
  std::string string() {
    std::size_t start = pos_++;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        char e = text_[pos_++];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      }
      out += c;
    }
    if (pos_ >= text_.size()) error(start, "unterminated string");
    ++pos_;
    return out;
  }

  // `name: ` or `"name": ` (a keyword key: the colon right after it, then a space); its name
  // as an atom term, or false with the position unchanged.
  bool keyword_key(Term& key) {
    std::size_t start = pos_;
    std::string name;
    if (is_ident_start(text_[pos_])) {
      name = identifier();
    } else if (text_[pos_] == '"') {
      name = string();
    } else {
      return false;
    }
    if (pos_ + 1 < text_.size() && text_[pos_] == ':' && is_space(text_[pos_ + 1])) {
      ++pos_;
      key.kind = Term::Kind::atom;
      key.text = std::move(name);
      key.offset = start;
      return true;
    }
    pos_ = start;
    return false;
  }

  // Elements up to `close`, comma-separated, a trailing comma allowed. In maps each element is
  // `key => value` or `key: value`; in lists `key: value` is the tuple {:key, value}.
  void elements(Term& t, char close, int depth, bool map) {
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) error(t.offset, std::string("'") + close + "' expected before the end of the file");
      if (text_[pos_] == close) {
        ++pos_;
        return;
      }
      Term key;
      bool keyword = t.kind != Term::Kind::tuple && keyword_key(key);
      if (map) {
        if (!keyword) {
          key = term(depth + 1);
          skip_space();
          if (text_.substr(pos_, 2) != "=>") error(pos_, "expected '=>' or 'key:' in a map");
          pos_ += 2;
        }
        t.items.push_back(std::move(key));
        t.items.push_back(term(depth + 1));
      } else if (keyword) {
        Term pair;
        pair.kind = Term::Kind::tuple;
        pair.offset = key.offset;
        pair.items.push_back(std::move(key));
        pair.items.push_back(term(depth + 1));
        t.items.push_back(std::move(pair));
      } else {
        t.items.push_back(term(depth + 1));
      }
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
      } else if (pos_ < text_.size() && text_[pos_] != close) {
        error(pos_, std::string("expected ',' or '") + close + "'");
      }
    }
  }

  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

const Term* item(const Term& tuple, std::size_t i, Term::Kind kind) {
  return i < tuple.items.size() && tuple.items[i].kind == kind ? &tuple.items[i] : nullptr;
}

}  // namespace

ParsedLockfile parse_mix(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "mix.lock";
  Term root = TermParser(path, content).document();
  if (root.kind != Term::Kind::map) {
    auto [line, col] = line_col_at(content, root.offset);
    fail(path, line, col, "not a mix.lock: expected a map %{...}");
  }
  // Lines of the keys, counted in one forward pass (the keys come in text order).
  std::size_t counted = 0;
  int line = 1;
  for (std::size_t i = 0; i + 1 < root.items.size(); i += 2) {
    const Term& key = root.items[i];
    const Term& value = root.items[i + 1];
    for (; counted < key.offset; ++counted) line += content[counted] == '\n';
    std::string app = key.text;
    std::string what = "dependency '" + app + "'";
    const Term* type = item(value, 0, Term::Kind::atom);
    if (value.kind != Term::Kind::tuple || !type) {
      fail(path, line, 0, what + " must be a tuple such as {:hex, :name, \"1.0.0\", ...}");
    }
    if (type->text == "git") {
      // {:git, "url", "commit", [...]}: in the inventory with its commit, never matched (no version).
      const Term* url = item(value, 1, Term::Kind::string);
      const Term* commit = item(value, 2, Term::Kind::string);
      if (!url || url->text.empty()) fail(path, line, 0, what + ": expected {:git, \"url\", \"commit\", ...}");
      Package p = make_package(app, "", "Hex", line);
      p.source_kind = "git";
      p.source = url->text + (commit && !commit->text.empty() ? "#" + commit->text : std::string());
      out.packages.push_back(std::move(p));
      continue;
    }
    if (type->text != "hex") {
      warn(out, path, line, what + " has source :" + type->text + ", which mix does not write: skipped");
      continue;
    }
    const Term* name = item(value, 1, Term::Kind::atom);
    const Term* version = item(value, 2, Term::Kind::string);
    if (!name || !version || version->text.empty()) {
      fail(path, line, 0, what + ": expected {:hex, :package, \"version\", ...}");
    }
    const Term* repo = item(value, 6, Term::Kind::string);
    if (repo && repo->text != "hexpm") {
      warn(out, path, line, what + " comes from Hex repository '" + repo->text + "', not hex.pm: not checked");
      continue;
    }
    out.packages.push_back(make_package(name->text, version->text, "Hex", line));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
