#include "agent/controls/dependencies/xml_lite.h"

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr std::size_t kMaxDepth = 256;

bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool is_name_char(unsigned char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Character data with entities decoded; unknown entities stay as written.
void append_text(std::string& out, std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    std::size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += '&';
      continue;
    }
    std::string_view entity = raw.substr(i + 1, semi - i - 1);
    if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "amp") out += '&';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      unsigned long cp = 0;
      bool ok = entity.size() > (hex ? 2u : 1u);
      for (char c : entity.substr(hex ? 2 : 1)) {
        int v = (c >= '0' && c <= '9') ? c - '0'
                : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (v < 0 || cp > 0x10FFFF) ok = false;
        else cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
      }
      if (!ok || cp > 0x10FFFF) {
        out.append(raw.substr(i, semi - i + 1));
      } else {
        append_utf8(out, cp);
      }
    } else {
      out.append(raw.substr(i, semi - i + 1));
    }
    i = semi;
  }
}

class XmlParser {
 public:
  XmlParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  XmlElement run() {
    if (text_.rfind("\xEF\xBB\xBF", 0) == 0) pos_ = 3;
    XmlElement root;
    bool have_root = false;
    std::vector<XmlElement*> stack;
    while (pos_ < text_.size()) {
      std::size_t lt = text_.find('<', pos_);
      std::string_view chunk = text_.substr(pos_, lt == std::string_view::npos ? std::string_view::npos : lt - pos_);
      if (!stack.empty()) {
        append_text(stack.back()->text, chunk);
      } else if (!is_blank(chunk)) {
        fail_at(pos_ + chunk.find_first_not_of(" \t\r\n"),
                have_root ? "text after the root element" : "expected '<' (not an XML document)");
      }
      if (lt == std::string_view::npos) break;
      pos_ = lt;
      std::string_view rest = text_.substr(pos_);
      if (rest.rfind("<!--", 0) == 0) {
        skip_past("-->", "unterminated comment");
      } else if (rest.rfind("<![CDATA[", 0) == 0) {
        std::size_t end = text_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) fail_at(pos_, "unterminated CDATA section");
        if (!stack.empty()) stack.back()->text.append(text_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (rest.rfind("<?", 0) == 0) {
        skip_past("?>", "unterminated processing instruction");
      } else if (rest.rfind("<!", 0) == 0) {
        skip_declaration();
      } else if (rest.rfind("</", 0) == 0) {
        std::size_t start = pos_;
        pos_ += 2;
        std::string name = read_name();
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
        if (pos_ >= text_.size() || text_[pos_] != '>') fail_at(pos_, "expected '>' to end </" + name);
        ++pos_;
        if (stack.empty() || stack.back()->name != local(name)) {
          fail_at(start, stack.empty() ? "closing tag </" + name + "> without a start tag"
                                       : "</" + name + "> closes <" + stack.back()->name + ">");
        }
        stack.back()->text = std::string(trim(stack.back()->text));
        stack.pop_back();
      } else {
        std::size_t start = pos_;
        ++pos_;
        std::string name = read_name();
        bool self_closing = skip_attributes();
        if (stack.empty() && have_root) fail_at(start, "more than one root element");
        XmlElement* element;
        if (stack.empty()) {
          element = &root;
          have_root = true;
        } else {
          stack.back()->children.emplace_back();
          element = &stack.back()->children.back();
        }
        element->name = local(name);
        element->line = line_at(start);
        if (!self_closing) {
          stack.push_back(element);
          if (stack.size() > kMaxDepth) fail_at(start, "elements nested deeper than 256 levels");
        }
      }
    }
    if (!stack.empty()) fail_at(text_.size(), "unclosed element <" + stack.back()->name + ">");
    if (!have_root) fail_at(text_.size(), "no XML element found");
    return root;
  }

 private:
  static std::string local(const std::string& name) {
    std::size_t colon = name.rfind(':');
    return colon == std::string::npos ? name : name.substr(colon + 1);
  }

  std::string read_name() {
    if (pos_ >= text_.size() || !is_name_start(static_cast<unsigned char>(text_[pos_]))) {
      fail_at(pos_, "invalid element name");
    }
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // After the name: attributes up to '>' or '/>'; true when self-closing.
  bool skip_attributes() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '>') {
        ++pos_;
        return false;
      }
      if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '>') {
        pos_ += 2;
        return true;
      }
      if (c == '"' || c == '\'') {
        std::size_t end = text_.find(c, pos_ + 1);
        if (end == std::string_view::npos) fail_at(pos_, "unterminated attribute value");
        pos_ = end + 1;
        continue;
      }
      if (c == '<') fail_at(pos_, "'<' inside a tag");
      if (!is_space(c) && !is_name_char(static_cast<unsigned char>(c)) && c != '=') {
        fail_at(pos_, std::string("unexpected '") + c + "' inside a tag");
      }
      ++pos_;
    }
    fail_at(pos_, "unterminated tag");
  }

  void skip_past(std::string_view end, const char* message) {
    std::size_t found = text_.find(end, pos_ + 2);
    if (found == std::string_view::npos) fail_at(pos_, message);
    pos_ = found + end.size();
  }

  // <!DOCTYPE ...> possibly with an internal subset in brackets.
  void skip_declaration() {
    int brackets = 0;
    for (std::size_t i = pos_ + 2; i < text_.size(); ++i) {
      char c = text_[i];
      if (c == '[') ++brackets;
      else if (c == ']') --brackets;
      else if (c == '>' && brackets <= 0) {
        pos_ = i + 1;
        return;
      }
    }
    fail_at(pos_, "unterminated declaration");
  }

  // Lines are counted forward only, so the whole document costs one pass.
  int line_at(std::size_t offset) {
    for (; counted_ < offset && counted_ < text_.size(); ++counted_) {
      if (text_[counted_] == '\n') ++line_;
    }
    return line_;
  }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) {
    auto [line, col] = line_col_at(text_, offset);
    fail(path_, line, col, "invalid XML: " + message);
  }

  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t counted_ = 0;
  int line_ = 1;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view wanted) const {
  for (const XmlElement& c : children) {
    if (c.name == wanted) return &c;
  }
  return nullptr;
}

std::string XmlElement::child_text(std::string_view wanted) const {
  const XmlElement* c = child(wanted);
  return c ? c->text : std::string();
}

XmlElement parse_xml(const std::string& path, std::string_view content) {
  return XmlParser(path, content).run();
}

}  // namespace agent::controls::dependencies::detail
