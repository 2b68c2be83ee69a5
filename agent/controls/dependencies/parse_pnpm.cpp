// pnpm-lock.yaml: lockfileVersion 5.x ("/name/1.0.0_peer"), 6 ("/name@1.0.0(peer)") and 9
// ("name@1.0.0", importers). Read with yaml-cpp's event parser: building yaml-cpp's node tree costs
// about 35 bytes of memory per byte of lockfile, the events cost nothing, and their marks give the
// line of each package key.
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kNpm = "npm";

bool is_group(std::string_view key) {
  return key == "dependencies" || key == "devDependencies" || key == "optionalDependencies";
}
bool is_version(std::string_view v) { return !v.empty() && v[0] >= '0' && v[0] <= '9'; }

std::string_view cut_at(std::string_view s, char c) {
  std::size_t i = s.find(c);
  return i == std::string_view::npos ? s : s.substr(0, i);
}

// Version text without peer suffixes: "5.3.2_acorn@8.7.0" (v5), "18.3.0(react@18.3.0)" (v6+).
std::string strip_peers(std::string_view v, bool v5) {
  v = cut_at(v, '(');
  if (v5) v = cut_at(v, '_');
  return std::string(v);
}

struct Entry {
  std::string key, name, version;
  int line = 0;
  bool local = false;
  std::string tarball, directory, repo, commit;  // of the resolution
};

enum class Value { scalar, null, map, sequence };

class PnpmEvents : public YAML::EventHandler {
 public:
  explicit PnpmEvents(const std::string& path) : path_(path) {}

  std::string lockfile_version;
  std::vector<Entry> entries;
  std::vector<std::pair<std::string, std::string>> direct;  // name, version as written

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 can report empty documents at the same place forever (e.g. on a stray ',' at
    // the start of a line): a document that does not start after the previous one ends the parse.
    if (documents_++ > 0 && mark.pos <= last_document_pos_) {
      fail(path_, mark.line + 1, mark.column + 1, "invalid YAML: cannot read a document here");
    }
    last_document_pos_ = mark.pos;
    stack_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(Value::null, {}, mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(Value::null, {}, mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override {
    node(Value::scalar, value, mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(Value::sequence, {}, mark);
    stack_.push_back({false});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(Value::map, {}, mark);
    stack_.push_back({true});
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool map;
    bool expect_key = true;
    std::string key;
    int key_line = 0;
  };

  // A node starts: a key of the enclosing map, or a value at the path of the enclosing keys.
  void node(Value kind, const std::string& scalar, const YAML::Mark& mark) {
    if (stack_.empty()) {
      if (kind != Value::map && kind != Value::null) {
        fail(path_, mark.line + 1, mark.column + 1, "not a pnpm lockfile: expected a map at the top");
      }
      return;
    }
    Frame& top = stack_.back();
    if (top.map && top.expect_key) {
      if (kind == Value::map || kind == Value::sequence) {
        fail(path_, mark.line + 1, mark.column + 1, "complex mapping keys are not supported");
      }
      top.key = scalar;
      top.key_line = mark.line + 1;
      top.expect_key = false;
      return;
    }
    value(kind, scalar, mark);
    if (kind == Value::scalar || kind == Value::null) top.expect_key = true;
  }

  void close() {
    if (stack_.empty()) return;
    if (entry_depth_ != 0 && stack_.size() == entry_depth_) entry_depth_ = 0;  // the package entry ends
    stack_.pop_back();
    if (!stack_.empty()) stack_.back().expect_key = true;
  }

  // The key of the map frame at `depth` (0: root), or nullptr when that frame is a sequence.
  const std::string* key_at(std::size_t depth) const {
    if (depth >= stack_.size() || !stack_[depth].map) return nullptr;
    return &stack_[depth].key;
  }

  void require_map(Value kind, const YAML::Mark& mark, const std::string& what) const {
    if (kind != Value::map && kind != Value::null) {
      fail(path_, mark.line + 1, mark.column + 1, what + " must be a map");
    }
  }
  void require_string(Value kind, const YAML::Mark& mark, const std::string& what) const {
    if (kind != Value::scalar && kind != Value::null) {
      fail(path_, mark.line + 1, mark.column + 1, what + " must be a string");
    }
  }

  void value(Value kind, const std::string& scalar, const YAML::Mark& mark) {
    std::size_t depth = stack_.size();
    const std::string* k0 = key_at(0);
    if (!k0) return;
    if (depth == 1) {
      if (*k0 == "lockfileVersion") {
        require_string(kind, mark, "'lockfileVersion'");
        lockfile_version = scalar;
      } else if (*k0 == "packages" || *k0 == "importers" || is_group(*k0)) {
        require_map(kind, mark, "'" + *k0 + "'");
      }
      return;
    }
    if (is_group(*k0)) {  // v5/v6 top level: name: version | name: {specifier, version}
      dependency(kind, scalar, mark, 1);
      return;
    }
    if (*k0 == "importers") {  // importers: project: group: name: version | {specifier, version}
      const std::string* group = key_at(2);
      if (depth >= 3 && group && is_group(*group)) {
        if (depth == 3) require_map(kind, mark, "'" + *group + "'");
        else dependency(kind, scalar, mark, 3);
      }
      return;
    }
    if (*k0 != "packages") return;
    const std::string& key = stack_[1].key;
    if (depth == 2) {
      require_map(kind, mark, "package '" + key + "'");
      entries.push_back({key, "", "", stack_[1].key_line, false});
      if (kind == Value::map) entry_depth_ = depth + 1;
      return;
    }
    if (entry_depth_ == 0 || entries.empty()) return;
    Entry& entry = entries.back();
    const std::string* field = key_at(2);
    if (!field) return;
    if (depth == 3 && (*field == "name" || *field == "version")) {
      require_string(kind, mark, "'" + *field + "' of package '" + key + "'");
      (*field == "name" ? entry.name : entry.version) = scalar;
    } else if (depth == 4 && *field == "resolution") {
      const std::string* sub = key_at(3);
      if (sub && (*sub == "directory" || (*sub == "tarball" && scalar.rfind("file:", 0) == 0))) entry.local = true;
      if (sub && kind == Value::scalar) {
        if (*sub == "tarball") entry.tarball = scalar;
        else if (*sub == "directory") entry.directory = scalar;
        else if (*sub == "repo") entry.repo = scalar;
        else if (*sub == "commit") entry.commit = scalar;
      }
    }
  }

  // A dependency below a group map whose frame is at `group_depth`: a version string, or a map
  // holding one in "version".
  void dependency(Value kind, const std::string& scalar, const YAML::Mark& mark, std::size_t group_depth) {
    std::size_t depth = stack_.size();
    const std::string* name = key_at(group_depth);
    if (!name) return;
    if (depth == group_depth + 1) {
      if (kind == Value::scalar) direct.emplace_back(*name, scalar);
    } else if (depth == group_depth + 2) {
      const std::string* field = key_at(group_depth + 1);
      if (field && *field == "version") {
        require_string(kind, mark, "'version' of dependency '" + *name + "'");
        direct.emplace_back(*name, scalar);
      }
    }
  }

  const std::string& path_;
  std::vector<Frame> stack_;
  std::size_t entry_depth_ = 0;  // stack size inside the current package entry's map; 0: none
  int documents_ = 0;
  int last_document_pos_ = 0;
};

class PnpmResolver {
 public:
  PnpmResolver(const std::string& path, bool v5, ParsedLockfile& out) : path_(path), v5_(v5), out_(out) {}

  void add_direct(const std::string& name, const std::string& version) {
    direct_.insert({name, strip_peers(version, v5_)});
    direct_paths_.insert(version);
    direct_paths_.insert(name + "@" + version);
  }

  void add(const Entry& e) {
    std::string_view k = e.key;
    // Where it comes from: a local folder or tarball, a git commit, a tarball URL; else the registry.
    NpmSource source;
    if (!e.directory.empty()) source = {"path", e.directory};
    else if (!e.repo.empty()) source = {"git", e.repo + (e.commit.empty() ? "" : "#" + e.commit)};
    else if (!e.tarball.empty()) source = npm_source(e.tarball);
    if (source.kind.empty() && (e.local || k.rfind("file:", 0) == 0 || k.rfind("link:", 0) == 0))
      source = npm_source(k);
    if (source.kind == "path") {  // named by the entry, else by its folder
      std::string name = e.name;
      if (name.empty()) {
        std::string_view dir = source.location;
        while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
        auto slash = dir.find_last_of('/');
        name = std::string(slash == std::string_view::npos ? dir : dir.substr(slash + 1));
        if (name.empty() || name == "." || name == "..") name = e.key;
      }
      Package p = make_package(std::move(name), is_version(e.version) ? e.version : std::string(), kNpm, e.line,
                               true, false);
      p.source_kind = std::move(source.kind);
      p.source = std::move(source.location);
      out_.packages.push_back(std::move(p));
      return;
    }
    std::string name = e.name, version = e.version;
    if (name.empty() || version.empty()) {
      std::string key_name, key_version;
      if (!split_key(k, key_name, key_version)) {
        warn(out_, path_, e.line, "cannot read a package name and version from '" + e.key + "'");
        return;
      }
      if (name.empty()) name = key_name;
      if (version.empty()) version = key_version;
    }
    if (!is_version(version)) {
      warn(out_, path_, e.line, "package '" + e.key + "' has no usable version");
      return;
    }
    std::string path_key(k.size() > 0 && k[0] == '/' ? k.substr(1) : k);
    bool direct = direct_.count({name, version}) > 0 || direct_paths_.count(path_key) > 0 ||
                  direct_paths_.count(std::string(cut_at(path_key, '('))) > 0;
    Package p = make_package(name, version, kNpm, e.line, true, direct);
    p.source_kind = std::move(source.kind);
    p.source = std::move(source.location);
    out_.packages.push_back(std::move(p));
  }

 private:
  bool split_key(std::string_view key, std::string& name, std::string& version) const {
    bool slash = !key.empty() && key[0] == '/';
    if (slash) key.remove_prefix(1);
    if (v5_) {
      // "/name/1.0.0_peer", "/@scope/name/1.0.0", "registry.example.com/name/1.0.0"
      if (!slash) {
        std::size_t host = key.find('/');
        if (host == std::string_view::npos) return false;
        key.remove_prefix(host + 1);
      }
      std::size_t first = key.find('/');
      if (first == std::string_view::npos) return false;
      std::size_t sep = key[0] == '@' ? key.find('/', first + 1) : first;
      if (sep == std::string_view::npos) return false;
      name = std::string(key.substr(0, sep));
      std::string_view rest = key.substr(sep + 1);
      if (rest.find('/') != std::string_view::npos) return false;
      version = strip_peers(rest, true);
    } else {
      key = cut_at(key, '(');
      std::size_t at = key.rfind('@');
      if (at == std::string_view::npos || at == 0) return false;
      name = std::string(key.substr(0, at));
      version = std::string(key.substr(at + 1));
    }
    return !name.empty() && !version.empty();
  }

  const std::string& path_;
  bool v5_;
  ParsedLockfile& out_;
  std::set<std::pair<std::string, std::string>> direct_;
  std::set<std::string> direct_paths_;
};

}  // namespace

ParsedLockfile parse_pnpm(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  PnpmEvents events(path);
  try {
    std::istringstream in{std::string(content)};
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(events)) {
    }
  } catch (const YAML::Exception& e) {
    fail(path, e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg);
  }
  const std::string& version = events.lockfile_version;
  int major = 0;
  for (char c : version) {
    if (c < '0' || c > '9' || major > 1000) break;
    major = major * 10 + (c - '0');
  }
  out.format = version.empty() ? "pnpm-lock.yaml" : "pnpm-lock.yaml v" + version;
  PnpmResolver resolver(path, major < 6, out);
  for (const auto& [name, spec] : events.direct) resolver.add_direct(name, spec);
  for (const Entry& e : events.entries) resolver.add(e);
  return out;
}

}  // namespace agent::controls::dependencies::detail
