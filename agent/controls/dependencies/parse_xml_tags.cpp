// Attributes of chosen XML start tags (packages.config, verification-metadata.xml keep their data
// in attributes, which xml_lite drops). parse_xml checks the document first, so this one linear
// pass only has to skip comments, CDATA, processing instructions and declarations.
#include "agent/controls/dependencies/parsers.h"
#include "agent/controls/dependencies/xml_lite.h"

namespace agent::controls::dependencies::detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view local_name(std::string_view name) {
  std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The five predefined entities and character references; anything else is kept as written.
std::string decode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::size_t semi = raw[i] == '&' ? raw.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos || semi - i > 10) {
      out += raw[i];
      continue;
    }
    std::string_view e = raw.substr(i + 1, semi - i - 1);
    static constexpr std::pair<std::string_view, char> kNamed[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    bool done = false;
    for (auto [name, c] : kNamed) {
      if (e == name) {
        out += c;
        done = true;
      }
    }
    if (!done && e.size() > 1 && e[0] == '#') {
      bool hex = e[1] == 'x' || e[1] == 'X';
      std::string_view digits = e.substr(hex ? 2 : 1);
      unsigned long cp = 0;
      bool ok = !digits.empty();
      for (char c : digits) {
        int v = hex ? hex_digit(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
        if (v < 0 || cp > 0x10FFFF) ok = false;
        else cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
      }
      if (ok && cp <= 0x10FFFF) {
        append_utf8(out, cp);
        done = true;
      }
    }
    if (!done) out.append(raw.substr(i, semi - i + 1));
    i = semi;
  }
  return out;
}

}  // namespace

const std::string* XmlTag::attribute(std::string_view attribute_name) const {
  for (const auto& [key, value] : attributes) {
    if (key == attribute_name) return &value;
  }
  return nullptr;
}

std::vector<XmlTag> xml_tags_named(const std::string& path, std::string_view text, std::string_view wanted,
                                   XmlTag* root) {
  XmlElement document = parse_xml(path, text);  // well-formed, or an error with its position
  if (root) {
    root->name = document.name;
    root->line = document.line;
  }
  std::vector<XmlTag> out;
  std::size_t pos = 0;
  std::size_t counted = 0;  // newlines are counted up to here
  int line = 1;
  auto line_at = [&](std::size_t offset) {
    for (; counted < offset && counted < text.size(); ++counted) line += text[counted] == '\n';
    return line;
  };
  auto skip_past = [&](std::size_t from, std::string_view end) {
    std::size_t e = text.find(end, from);
    if (e == std::string_view::npos) {
      auto [l, c] = line_col_at(text, from);
      fail(path, l, c, "unterminated markup, expected '" + std::string(end) + "'");
    }
    return e + end.size();
  };
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = text.substr(pos);
    if (rest.starts_with("<!--")) { pos = skip_past(pos + 4, "-->"); continue; }
    if (rest.starts_with("<![CDATA[")) { pos = skip_past(pos + 9, "]]>"); continue; }
    if (rest.starts_with("<?")) { pos = skip_past(pos + 2, "?>"); continue; }
    if (rest.starts_with("<!") || rest.starts_with("</")) { pos = skip_past(pos + 2, ">"); continue; }
    std::size_t i = pos + 1;
    while (i < text.size() && !is_space(text[i]) && text[i] != '/' && text[i] != '>') ++i;
    bool keep = local_name(text.substr(pos + 1, i - pos - 1)) == wanted;
    XmlTag tag;
    if (keep) {
      tag.name = std::string(wanted);
      tag.line = line_at(pos);
    }
    // Attributes: name = "value" | 'value', up to '>' (quoted values may hold '>').
    while (true) {
      while (i < text.size() && is_space(text[i])) ++i;
      if (i >= text.size() || text[i] == '>' || text[i] == '/') break;
      std::size_t name_start = i;
      while (i < text.size() && !is_space(text[i]) && text[i] != '=' && text[i] != '>') ++i;
      std::string_view attr = text.substr(name_start, i - name_start);
      while (i < text.size() && is_space(text[i])) ++i;
      if (i >= text.size() || text[i] != '=') break;  // parse_xml accepted it: nothing of ours
      ++i;
      while (i < text.size() && is_space(text[i])) ++i;
      if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) break;
      std::size_t close = text.find(text[i], i + 1);
      if (close == std::string_view::npos) {
        auto [l, c] = line_col_at(text, i);
        fail(path, l, c, "unterminated attribute value");
      }
      if (keep) tag.attributes.emplace_back(local_name(attr), decode(text.substr(i + 1, close - i - 1)));
      i = close + 1;
    }
    if (keep) out.push_back(std::move(tag));
    pos = text.find('>', i);
    if (pos == std::string_view::npos) break;
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
