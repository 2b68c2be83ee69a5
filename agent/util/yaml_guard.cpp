#include "agent/util/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/anchor.h>

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
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor);
  }
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

}  // namespace

YAML::Node load_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
  const std::string owned(text);
  try {
    std::istringstream in(owned);
    YAML::Parser parser(in);
    Counter counter(limits);
    parser.HandleNextDocument(counter);
    return YAML::Load(owned);
  } catch (const LimitHit& hit) {
    throw UsageError(position(file, hit.mark, "too many aliases/nodes (YAML alias bomb?): " + hit.what));
  } catch (const YAML::Exception& e) {
    throw UsageError(position(file, e.mark, "invalid YAML: " + e.msg));
  }
}

}  // namespace agent::util
