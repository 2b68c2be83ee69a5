#include "agent/util/toml.h"

#include "agent/util/error.h"
#include "agent/util/utf8.h"

namespace agent::util {
namespace {

[[noreturn]] void fail(const std::string& path, int line, int col, const std::string& message) {
  throw UsageError(at(path, line, col, message));
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view ws = " \t\r\n";
  std::size_t b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return text.substr(b, text.find_last_not_of(ws) - b + 1);
}

constexpr int kMaxDepth = 128;

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

class TomlParser {
 public:
  TomlParser(const std::string& path, std::string_view text, const TomlKeep& keep)
      : path_(path), text_(text), keep_(keep) {}

  std::vector<TomlTable> run() {
    std::vector<TomlTable> tables(1);
    while (true) {
      skip_blank_lines();
      if (at_end()) break;
      if (peek() == '[') {
        bool array = peek(1) == '[';
        int line = line_;
        advance(array ? 2 : 1);
        skip_spaces();
        std::string name = read_key();
        skip_spaces();
        if (!consume(']') || (array && !consume(']'))) error(array ? "expected ']]'" : "expected ']'");
        end_of_line();
        tables.push_back(TomlTable{std::move(name), array, line, {}});
        continue;
      }
      std::string key = read_key();
      skip_spaces();
      if (!consume('=')) error("expected '=' after key '" + key + "'");
      skip_spaces();
      TomlValue value = read_value(0);
      end_of_line();
      if (!keep_ || keep_(tables.back().name, key)) tables.back().fields.emplace_back(std::move(key), std::move(value));
    }
    return tables;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void advance(std::size_t n = 1) {
    for (; n > 0 && pos_ < text_.size(); --n) {
      if (text_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
      ++pos_;
    }
  }
  bool consume(char c) {
    if (peek() != c || at_end()) return false;
    advance();
    return true;
  }
  [[noreturn]] void error(const std::string& message) const {
    fail(path_, line_, static_cast<int>(pos_ - line_start_) + 1, "invalid TOML: " + message);
  }

  void skip_spaces() {
    while (peek() == ' ' || peek() == '\t') advance();
  }
  void skip_comment() {
    if (peek() != '#') return;
    while (!at_end() && peek() != '\n') advance();
  }
  // Whitespace, newlines and comments (between statements and inside arrays).
  void skip_blank_lines() {
    while (!at_end()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') advance();
      else if (c == '#') skip_comment();
      else break;
    }
  }
  void end_of_line() {
    skip_spaces();
    skip_comment();
    if (consume('\r') && peek() != '\n') error("expected a newline");
    if (!at_end() && !consume('\n')) error("unexpected text after the value");
  }

  // Dotted key: bare or quoted parts joined with '.'.
  std::string read_key() {
    std::string key;
    while (true) {
      skip_spaces();
      char c = peek();
      if (c == '"') key += read_basic_string();
      else if (c == '\'') key += read_literal_string();
      else {
        std::size_t start = pos_;
        while (is_bare_key_char(peek())) advance();
        if (pos_ == start) error(at_end() ? "unexpected end of file, expected a key" : "expected a key");
        key.append(text_.substr(start, pos_ - start));
      }
      skip_spaces();
      if (peek() != '.') return key;
      advance();
      key += '.';
    }
  }

  std::string read_basic_string() {
    advance();  // "
    bool multi = peek() == '"' && peek(1) == '"';
    if (multi) {
      advance(2);
      if (peek() == '\n') advance();
      else if (peek() == '\r' && peek(1) == '\n') advance(2);
    }
    std::string out;
    while (true) {
      if (at_end()) error("unterminated string");
      char c = peek();
      if (c == '"') {
        if (!multi) {
          advance();
          return out;
        }
        if (peek(1) == '"' && peek(2) == '"') {
          // Up to two quotes may end the content right before the closing delimiter.
          while (peek(3) == '"') {
            out += '"';
            advance();
          }
          advance(3);
          return out;
        }
        out += c;
        advance();
        continue;
      }
      if (c == '\n' && !multi) error("newline in a string");
      if (c != '\\') {
        out += c;
        advance();
        continue;
      }
      advance();
      char e = peek();
      if (multi && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {
        // Line-ending backslash: skip the newline and the indentation after it.
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n')) advance();
        continue;
      }
      advance();
      switch (e) {
        case 'b': out += '\b'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'f': out += '\f'; break;
        case 'r': out += '\r'; break;
        case 'e': out += '\x1b'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'u':
        case 'U': {
          int digits = e == 'u' ? 4 : 8;
          unsigned long cp = 0;
          for (int i = 0; i < digits; ++i) {
            char h = peek();
            int v = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
            if (v < 0) error("invalid unicode escape");
            cp = cp * 16 + static_cast<unsigned long>(v);
            advance();
          }
          if (cp > 0x10FFFF) error("invalid unicode escape");
          append_utf8(out, cp);
          break;
        }
        default: error(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  std::string read_literal_string() {
    advance();  // '
    bool multi = peek() == '\'' && peek(1) == '\'';
    if (multi) {
      advance(2);
      if (peek() == '\n') advance();
      else if (peek() == '\r' && peek(1) == '\n') advance(2);
    }
    std::size_t start = pos_;
    while (true) {
      if (at_end()) error("unterminated string");
      char c = peek();
      if (c == '\'' && (!multi || (peek(1) == '\'' && peek(2) == '\''))) {
        if (multi) {
          while (peek(3) == '\'') advance();
        }
        std::string out(text_.substr(start, pos_ - start));
        advance(multi ? 3 : 1);
        return out;
      }
      if (c == '\n' && !multi) error("newline in a string");
      advance();
    }
  }

  TomlValue read_value(int depth) {
    if (depth > kMaxDepth) error("values nested too deeply");
    TomlValue value;
    value.line = line_;
    char c = peek();
    if (c == '"') {
      value.kind = TomlValue::Kind::string;
      value.text = read_basic_string();
    } else if (c == '\'') {
      value.kind = TomlValue::Kind::string;
      value.text = read_literal_string();
    } else if (c == '[') {
      value.kind = TomlValue::Kind::array;
      advance();
      while (true) {
        skip_blank_lines();
        if (consume(']')) break;
        value.items.push_back(read_value(depth + 1));
        skip_blank_lines();
        if (consume(',')) continue;
        if (consume(']')) break;
        error("expected ',' or ']' in an array");
      }
    } else if (c == '{') {
      value.kind = TomlValue::Kind::table;
      advance();
      skip_blank_lines();
      if (!consume('}')) {
        while (true) {
          skip_blank_lines();
          std::string key = read_key();
          skip_spaces();
          if (!consume('=')) error("expected '=' after key '" + key + "'");
          skip_spaces();
          value.fields.emplace_back(std::move(key), read_value(depth + 1));
          skip_blank_lines();
          if (consume(',')) continue;
          if (consume('}')) break;
          error("expected ',' or '}' in an inline table");
        }
      }
    } else {
      // Numbers, booleans, dates (which may hold one space: "1979-05-27 07:32:00").
      std::size_t start = pos_;
      while (!at_end()) {
        char d = peek();
        if (d == ',' || d == ']' || d == '}' || d == '#' || d == '\n' || d == '\r') break;
        advance();
      }
      value.text = std::string(trim(text_.substr(start, pos_ - start)));
      bool ok = !value.text.empty() &&
                ((value.text[0] >= '0' && value.text[0] <= '9') || value.text[0] == '+' ||
                 value.text[0] == '-' || value.text == "true" || value.text == "false" ||
                 value.text.find("inf") != std::string::npos || value.text.find("nan") != std::string::npos);
      if (!ok) {
        pos_ = start;
        error(value.text.empty() ? "expected a value" : "invalid value '" + value.text + "'");
      }
    }
    return value;
  }

  const std::string& path_;
  std::string_view text_;
  const TomlKeep& keep_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
};

const TomlValue* find_field(const std::vector<std::pair<std::string, TomlValue>>& fields,
                            std::string_view key) {
  for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

}  // namespace

TomlValue::TomlValue() = default;
TomlValue::TomlValue(const TomlValue&) = default;
TomlValue::TomlValue(TomlValue&&) noexcept = default;
TomlValue& TomlValue::operator=(const TomlValue&) = default;
TomlValue& TomlValue::operator=(TomlValue&&) noexcept = default;
TomlValue::~TomlValue() = default;

const TomlValue* TomlValue::get(std::string_view key) const {
  return kind == Kind::table ? find_field(fields, key) : nullptr;
}

const TomlValue* TomlTable::get(std::string_view key) const { return find_field(fields, key); }

std::vector<TomlTable> parse_toml(const std::string& path, std::string_view content, const TomlKeep& keep) {
  return TomlParser(path, content, keep).run();
}

const std::string* toml_string(const std::string& path, const TomlTable& table, std::string_view key,
                               std::string_view what) {
  const TomlValue* v = table.get(key);
  if (!v) return nullptr;
  if (v->kind != TomlValue::Kind::string) {
    fail(path, v->line, 0, "'" + std::string(key) + "' of " + std::string(what) + " must be a string");
  }
  return &v->text;
}

}  // namespace agent::util
