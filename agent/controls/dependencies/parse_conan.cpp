// conan.lock. Conan 1 (lockfile "version": "0.4", and 0.3's "pref"): graph_lock.nodes, id ->
// {ref, requires, build_requires}; node "0" (the one with a "path" and no ref) is the consumer, so
// what it requires is direct. Conan 2 ("0.5" and later): flat `requires`, `build_requires` and
// `python_requires` lists of "name/version[@user/channel][#revision[%timestamp]]", without the
// graph. python_requires are recipe code shared between recipes, not libraries: left out.
#include <set>

#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kConan = "ConanCenter";

std::string_view cut_at(std::string_view s, char c) { return s.substr(0, s.find(c)); }

// "zlib/1.2.13@user/channel#rrev%ts" (or a v0.3 "pref" "zlib/1.2.11#rrev:pkgid#prev").
bool split_reference(std::string_view ref, std::string& name, std::string& version) {
  ref = cut_at(cut_at(cut_at(cut_at(ref, '#'), '%'), ':'), '@');
  std::size_t slash = ref.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size()) return false;
  std::string_view n = ref.substr(0, slash), v = ref.substr(slash + 1);
  if (v.find('/') != std::string_view::npos || n.find(' ') != std::string_view::npos ||
      v.find(' ') != std::string_view::npos) {
    return false;
  }
  name = std::string(n);
  version = std::string(v);
  return true;
}

// Line of each string of an array that starts on `array_line`: the strings are found in order in
// the text after that line (one forward search each); once one is not found (escapes), the last
// line found for the rest, so hostile input cannot make the searches quadratic.
class StringLines {
 public:
  StringLines(std::string_view text, int array_line) : text_(text), line_(array_line) {
    for (int l = 1; l < array_line && pos_ < text_.size(); ++l) {
      std::size_t nl = text_.find('\n', pos_);
      pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    }
    counted_ = pos_;
  }
  int line_of(const std::string& value) {
    if (lost_) return line_;
    std::string quoted = "\"" + value + "\"";
    std::size_t at = text_.find(quoted, pos_);
    if (at == std::string_view::npos) {
      lost_ = true;
      return line_;
    }
    for (; counted_ < at; ++counted_) line_ += text_[counted_] == '\n';
    pos_ = at + quoted.size();
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t counted_ = 0;
  int line_;
  bool lost_ = false;
};

void parse_graph_lock(const std::string& path, const JsonDoc& doc, const Json& graph, ParsedLockfile& out) {
  const Json* nodes = json_object(path, doc.line_of(graph), graph, "nodes", "'graph_lock'");
  if (!nodes) fail(path, doc.line_of(graph), 0, "'graph_lock' has no 'nodes'");
  // The consumer: the node with a "path" (conanfile.txt/.py), else "0".
  std::string root;
  for (const auto& [id, node] : nodes->items()) {
    json_expect_object(path, doc.line_of(node) ? doc.line_of(node) : doc.line_of(*nodes), node, "node '" + id + "'");
    if (root.empty() && node.contains("path")) root = id;
  }
  if (root.empty() && nodes->contains("0")) root = "0";
  std::set<std::string> direct;
  if (!root.empty()) {
    const Json& node = nodes->at(root);
    for (const char* key : {"requires", "build_requires"}) {
      const Json* ids = json_array(path, doc.line_of(node), node, key, "node '" + root + "'");
      if (!ids) continue;
      for (const Json& id : *ids) {
        if (id.is_string()) direct.insert(id.get<std::string>());
      }
    }
  }
  for (const auto& [id, node] : nodes->items()) {
    int line = doc.line_of(node);
    std::string what = "node '" + id + "'";
    const std::string* ref = json_string(path, line, node, "ref", what);
    if (!ref) ref = json_string(path, line, node, "pref", what);
    if (!ref || id == root) continue;  // the consumer itself
    std::string name, version;
    if (!split_reference(*ref, name, version)) {
      warn(out, path, line, what + ": cannot read 'name/version' from '" + *ref + "'");
      continue;
    }
    out.packages.push_back(make_package(name, version, kConan, line, !root.empty(), direct.count(id) > 0));
  }
}

}  // namespace

ParsedLockfile parse_conan(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  JsonKeep keep = [](std::size_t depth, std::string_view key) {
    if (depth == 1) {
      return key == "version" || key == "graph_lock" || key == "requires" || key == "build_requires";
    }
    if (depth == 2) return key == "nodes";
    if (depth == 4) return key == "ref" || key == "pref" || key == "path" || key == "requires" || key == "build_requires";
    return true;
  };
  JsonDoc doc = parse_json(path, content, keep);
  json_expect_object(path, 1, doc.root, "a conan.lock");
  const std::string* lock_version = json_string(path, 1, doc.root, "version", "the lockfile");
  out.format = lock_version ? "conan.lock v" + *lock_version : "conan.lock";
  if (const Json* graph = json_object(path, 1, doc.root, "graph_lock", "the lockfile")) {
    parse_graph_lock(path, doc, *graph, out);
    return out;
  }
  if (!doc.root.contains("requires") && !doc.root.contains("build_requires")) {
    fail(path, 1, 1, "not a conan.lock: neither 'graph_lock' (Conan 1) nor 'requires' (Conan 2)");
  }
  for (const char* key : {"requires", "build_requires"}) {
    const Json* refs = json_array(path, 1, doc.root, key, "the lockfile");
    if (!refs) continue;
    StringLines lines(content, doc.line_of(*refs));
    for (const Json& ref : *refs) {
      if (!ref.is_string()) {
        fail(path, doc.line_of(*refs), 0, std::string("'") + key + "' must list strings, not " + json_type_name(ref));
      }
      const std::string& text = ref.get_ref<const std::string&>();
      int line = lines.line_of(text);
      std::string name, version;
      if (!split_reference(text, name, version)) {
        warn(out, path, line, "cannot read 'name/version' from '" + text + "'");
        continue;
      }
      out.packages.push_back(make_package(name, version, kConan, line));
    }
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
