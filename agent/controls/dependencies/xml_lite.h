#pragma once
// A small, tolerant XML reader for pom.xml: elements with their text and line, nothing else.
// Namespace prefixes are dropped, attributes, comments, processing instructions and DOCTYPE are
// skipped, the five predefined entities and character references are decoded (others are kept as
// written). Malformed markup (bad names, mismatched or unclosed tags) is an error with a position.
#include <string>
#include <string_view>
#include <vector>

namespace agent::controls::dependencies::detail {

struct XmlElement {
  std::string name;                 ///< local name ("project", not "pom:project")
  std::string text;                 ///< character data directly inside, trimmed
  int line = 0;                     ///< 1-based line of the start tag
  std::vector<XmlElement> children;

  /// First child element named `name`; nullptr when none.
  const XmlElement* child(std::string_view name) const;
  /// Text of the first child named `name`; empty when none.
  std::string child_text(std::string_view name) const;
};

/// Parses a document and returns its root element; throws util::UsageError "path:line:col: ..."
/// when it is not well-formed enough to read, or nests deeper than 256 elements.
XmlElement parse_xml(const std::string& path, std::string_view content);

}  // namespace agent::controls::dependencies::detail
