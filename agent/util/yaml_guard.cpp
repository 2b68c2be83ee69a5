#include "agent/util/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/anchor.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "agent/util/error.h"

namespace agent::util {
namespace {

/// Thrown out of the event handler to stop the parse at the offending alias.
struct LimitHit {
  YAML::Mark mark;
  std::string what;
};

/// Counts the nodes of the first document, every alias weighing its anchor's expanded size.
class Counter : public YAML::EventHandler {
 public:
  explicit Counter(const YamlLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor);
    last_scalar = mark;
    last_scalar_quoted = tag == "!";  // yaml-cpp's non-specific tag of a quoted scalar
  }

  /// Where the document's last scalar starts, and whether it was quoted.
  YAML::Mark last_scalar = YAML::Mark::null_mark();
  bool last_scalar_quoted = false;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    ++aliases_;
    auto it = sizes_.find(anchor);
    // An alias of an anchor still open (a recursive structure) is refused by yaml-cpp itself;
    // count it as one node if it ever gets here.
    add(mark, it == sizes_.end() ? 1 : it->second);
    if (aliases_ > limits_.max_aliases)
      throw LimitHit{mark, "more than " + std::to_string(limits_.max_aliases) + " aliases"};
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    std::uint64_t start;  // nodes_ before this collection
  };

  void add(const YAML::Mark& mark, std::uint64_t n) {
    nodes_ += n;  // n <= max_nodes (sizes are only recorded below the limit): no overflow
    if (nodes_ > limits_.max_nodes)
      throw LimitHit{mark, "more than " + std::to_string(limits_.max_nodes) + " nodes once aliases are expanded"};
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1);
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1);
    stack_.push_back({anchor, nodes_ - 1});
  }
  void close() {
    if (stack_.empty()) return;
    Open o = stack_.back();
    stack_.pop_back();
    if (o.anchor != YAML::NullAnchor) sizes_[o.anchor] = nodes_ - o.start;
  }

  const YamlLimits& limits_;
  std::uint64_t nodes_ = 0;
  std::uint64_t aliases_ = 0;
  std::unordered_map<YAML::anchor_t, std::uint64_t> sizes_;
  std::vector<Open> stack_;
};

std::string position(const std::string& file, const YAML::Mark& mark, const std::string& message) {
  if (mark.is_null()) return at(file, 0, 0, message);
  return at(file, mark.line + 1, mark.column + 1, message);
}

/// True when the quoted scalar opening at `pos` ('"' or '\'') is closed before the end of `text`.
/// yaml-cpp ends an unclosed one at the end of the input instead of failing, so the rest of the
/// file would silently become part of that string.
bool quote_closed(std::string_view text, std::size_t pos) {
  const char q = text[pos];
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' inside single quotes
      } else {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

YAML::Node load_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
  // yaml-cpp stops reading at a NUL byte as if the stream ended there, so whatever follows one
  // would be silently ignored (YAML allows no NUL character anywhere): refuse it.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    int line = 1, col = 1;
    for (std::size_t i = 0; i < nul; ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    throw UsageError(at(file, line, col, "invalid YAML: a NUL byte (YAML allows no NUL character)"));
  }
  // yaml-cpp reads a document whose first value starts with ',' (an indicator no plain value may
  // start with) as an empty document, so everything after it would be silently ignored (found by
  // the config fuzz target: an ignores file lost its list): refuse it.
  {
    int line = 1;
    std::size_t i = 0;
    bool in_directives = true;
    while (i < text.size()) {
      const std::size_t eol = std::min(text.find('\n', i), text.size());
      std::string_view l = text.substr(i, eol - i);
      std::size_t p = l.find_first_not_of(" \t\r");
      if (p != std::string_view::npos && l[p] != '#') {
        if (in_directives && p == 0 && l[0] == '%') {
          // a directive (%YAML, %TAG)
        } else if (p == 0 && l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t')) {
          in_directives = false;
          p = l.find_first_not_of(" \t\r", 3);
          if (p != std::string_view::npos && l[p] == ',')
            throw UsageError(at(file, line, static_cast<int>(p) + 1, "invalid YAML: a value cannot start with ','"));
          if (p != std::string_view::npos && l[p] != '#') break;
        } else {
          if (l[p] == ',')
            throw UsageError(at(file, line, static_cast<int>(p) + 1, "invalid YAML: a value cannot start with ','"));
          break;
        }
      }
      i = eol + 1;
      ++line;
    }
  }
  const std::string owned(text);
  try {
    std::istringstream in(owned);
    YAML::Parser parser(in);
    Counter counter(limits);
    parser.HandleNextDocument(counter);
    // An unclosed quote swallows everything to the end, so it can only be the last scalar.
    if (counter.last_scalar_quoted && !counter.last_scalar.is_null()) {
      const auto pos = static_cast<std::size_t>(counter.last_scalar.pos);
      if (pos < owned.size() && (owned[pos] == '"' || owned[pos] == '\'') && !quote_closed(owned, pos))
        throw UsageError(position(file, counter.last_scalar, "invalid YAML: a quoted string is not closed"));
    }
    return YAML::Load(owned);
  } catch (const LimitHit& hit) {
    throw UsageError(position(file, hit.mark, "too many aliases/nodes (YAML alias bomb?): " + hit.what));
  } catch (const YAML::Exception& e) {
    throw UsageError(position(file, e.mark, "invalid YAML: " + e.msg));
  }
}

}  // namespace agent::util
