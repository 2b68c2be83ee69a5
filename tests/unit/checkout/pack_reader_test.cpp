// PackStore / PackReader (objects read straight from .pack/.idx files) and RawTree / TreeSource
// (trees parsed from their stored bytes), checked against libgit2 on repositories written by git,
// on hand-made packs (every delta instruction, every refusal) and on damaged copies of real packs.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/checkout/git.h"
#include "agent/checkout/pack_reader.h"
#include "agent/checkout/raw_tree.h"

using namespace agent::checkout;
namespace fs = std::filesystem;
using Status = PackReader::Status;

namespace {

// ---------------------------------------------------------------------------------------------
// Files, processes, scratch directories

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("jit-packreader-" + std::to_string(getpid()) + "-" + name);
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& file, std::string_view bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Ran {
  int rc = 0;
  std::string out;
  std::string err;
};

/// Runs a shell command line, capturing stdout and stderr.
Ran run(const std::string& command) {
  static int serial = 0;
  const fs::path base = temp_path("cmd" + std::to_string(serial++));
  const std::string out = base.string() + ".out", err = base.string() + ".err";
  const int rc = std::system(("(" + command + ") > '" + out + "' 2> '" + err + "'").c_str());
  Ran r{rc, slurp(out), slurp(err)};
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(err, ec);
  return r;
}

bool have_git() {
  static const bool ok = run("git --version").rc == 0;
  return ok;
}

#define NEED_GIT()                                      \
  do {                                                  \
    if (!have_git()) SKIP("the git binary is not installed"); \
  } while (false)

/// A directory under the temporary directory, removed with the object.
class Scratch {
 public:
  explicit Scratch(const std::string& name) : dir_(temp_path(name)) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

/// A working tree driven with the git CLI: no user or system configuration, fixed identities
/// and dates (one hour apart per commit), single-threaded delta search.
class GitRepo {
 public:
  explicit GitRepo(fs::path dir) : dir_(std::move(dir)) {}

  std::string git(const std::string& args) const {
    const std::string date = "@" + std::to_string(1700000000 + 3600 * clock_) + " +0000";
    const std::string d = dir_.string();
    const Ran r = run("cd '" + d + "' && env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE -u GIT_OBJECT_DIRECTORY "
                      "-u GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_CONFIG_NOSYSTEM=1 HOME='" + d + "' XDG_CONFIG_HOME='" + d +
                      "' GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T "
                      "GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE='" + date + "' GIT_COMMITTER_DATE='" + date +
                      "' git -c core.autocrlf=false -c gc.auto=0 -c pack.threads=1 -c core.symlinks=true "
                      "-c core.filemode=true -c maintenance.auto=false " + args);
    if (r.rc != 0) throw std::runtime_error("git " + args + " failed: " + r.err + r.out);
    std::string text = r.out;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }
  void write(const std::string& path, std::string_view content) const { spit(dir_ / path, content); }
  void commit(const std::string& message) {
    ++clock_;
    git("add -A");
    git("commit -q --allow-empty -m '" + message + "'");
  }
  fs::path git_dir() const { return dir_ / ".git"; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  int clock_ = 0;
};

/// An empty bare repository in `scratch`/repo.git.
GitRepo bare_repo(const Scratch& scratch) {
  GitRepo repo(scratch.dir() / "repo.git");
  fs::create_directories(repo.dir());
  repo.git("init -q --bare .");
  return repo;
}

/// An empty bare repository and a libgit2 handle on it.
struct Bare {
  explicit Bare(const std::string& name) : scratch(name), repo(bare_repo(scratch)), handle(open_repository(repo.dir().string())) {}
  Scratch scratch;
  GitRepo repo;
  RepositoryPtr handle;
};

git_oid oid(std::string_view hex) { return parse_oid(hex); }

// ---------------------------------------------------------------------------------------------
// What libgit2 reads, and what a pack holds

struct Obj {
  git_oid id{};
  std::string hex;
  git_object_t type = GIT_OBJECT_INVALID;
  std::string bytes;
};

/// Every object git lists in the repository, read through libgit2's object database.
std::vector<Obj> all_objects(const GitRepo& repo) {
  std::istringstream lines(repo.git("cat-file --batch-all-objects --batch-check"));
  RepositoryPtr handle = open_repository(repo.git_dir().string());
  git_odb* raw = nullptr;
  check(git_repository_odb(&raw, handle.get()), "odb");
  OdbPtr odb(raw);
  std::vector<Obj> out;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string hex, type;
    std::uint64_t size = 0;
    fields >> hex >> type >> size;
    Obj o;
    o.hex = hex;
    o.id = oid(hex);
    git_odb_object* read = nullptr;
    REQUIRE(git_odb_read(&read, odb.get(), &o.id) == 0);
    OdbObjectPtr owned(read);
    o.type = git_odb_object_type(read);
    o.bytes.assign(static_cast<const char*>(git_odb_object_data(read)), git_odb_object_size(read));
    REQUIRE(type == git_object_type2string(o.type));
    REQUIRE(size == o.bytes.size());
    out.push_back(std::move(o));
  }
  return out;
}

struct Header {
  unsigned kind = 0;       // 1-4 whole objects, 6 OFS_DELTA, 7 REF_DELTA
  std::uint64_t size = 0;  // inflated size stated by the header
  std::size_t length = 0;  // bytes of the type-and-size header
};

Header entry_header(std::string_view pack, std::uint64_t at) {
  Header h;
  unsigned c = static_cast<unsigned char>(pack.at(at));
  h.kind = (c >> 4) & 7;
  h.size = c & 15;
  h.length = 1;
  for (unsigned shift = 4; c & 0x80; shift += 7) {
    c = static_cast<unsigned char>(pack.at(at + h.length++));
    h.size |= std::uint64_t{c & 0x7fu} << shift;
  }
  return h;
}

/// The length of an OFS_DELTA base-offset field starting at `at`.
std::size_t ofs_field_length(std::string_view pack, std::uint64_t at) {
  std::size_t n = 1;
  while (static_cast<unsigned char>(pack.at(at + n - 1)) & 0x80) ++n;
  return n;
}

/// git's encoding of an OFS_DELTA base distance.
std::string ofs_encoding(std::uint64_t back) {
  std::string out(1, static_cast<char>(back & 127));
  while (back >>= 7) out.insert(out.begin(), static_cast<char>(128 | (--back & 127)));
  return out;
}

/// The largest distance an n-byte OFS field can state.
std::uint64_t ofs_max(std::size_t n) {
  std::uint64_t v = 127;
  for (std::size_t i = 1; i < n; ++i) v = ((v + 1) << 7) | 127;
  return v;
}

struct PackEntry {
  std::string hex;
  git_oid id{};
  std::string type;  // of the object (verify-pack's column)
  std::uint64_t offset = 0;
  std::uint64_t packed = 0;  // bytes in the pack, header included
  int depth = 0;
  std::string base;  // hex of the delta base
  Header header;
  std::uint64_t field = 0;  // where the OFS distance or the REF id starts
  std::uint64_t data = 0;   // where the compressed data starts
};

struct PackInfo {
  fs::path idx;
  fs::path pack;
  std::string bytes;
  std::vector<PackEntry> entries;  // by offset
  std::map<std::string, std::size_t> by_hex;
  std::map<std::uint64_t, std::size_t> by_offset;

  const PackEntry& entry(const std::string& hex) const { return entries.at(by_hex.at(hex)); }
  /// The offsets of the entries `hex` is resolved from: its own, its base's, ... down to a whole object.
  std::vector<std::uint64_t> chain(const std::string& hex) const {
    std::vector<std::uint64_t> out;
    for (const PackEntry* e = &entry(hex);; e = &entry(e->base)) {
      out.push_back(e->offset);
      if (e->depth == 0) break;
    }
    return out;
  }
};

/// The entries of a pack as `git verify-pack -v` lists them, with their headers read from the pack.
PackInfo inspect_pack(const GitRepo& repo, const fs::path& idx) {
  PackInfo info;
  info.idx = idx;
  info.pack = fs::path(idx).replace_extension(".pack");
  info.bytes = slurp(info.pack);
  std::istringstream lines(repo.git("verify-pack -v '" + idx.string() + "'"));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.size() < 5 || f[0].size() != 40 || f[0].find_first_not_of("0123456789abcdef") != std::string::npos) continue;
    PackEntry e;
    e.hex = f[0];
    e.id = oid(e.hex);
    e.type = f[1];
    e.packed = std::stoull(f[3]);
    e.offset = std::stoull(f[4]);
    if (f.size() >= 7) {
      e.depth = std::stoi(f[5]);
      e.base = f[6];
    }
    e.header = entry_header(info.bytes, e.offset);
    e.field = e.offset + e.header.length;
    e.data = e.field;
    if (e.header.kind == GIT_OBJECT_OFS_DELTA) e.data += ofs_field_length(info.bytes, e.field);
    if (e.header.kind == GIT_OBJECT_REF_DELTA) e.data += 20;
    info.entries.push_back(e);
  }
  std::sort(info.entries.begin(), info.entries.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  for (std::size_t i = 0; i < info.entries.size(); ++i) {
    info.by_hex[info.entries[i].hex] = i;
    info.by_offset[info.entries[i].offset] = i;
  }
  return info;
}

std::vector<fs::path> pack_indexes(const fs::path& git_dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(git_dir / "objects" / "pack"))
    if (e.path().extension() == ".idx") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// The test history: ~30 commits editing large text files (deltas), a binary file, an empty blob,
// an executable, a symlink, nested folders, a submodule entry and an annotated tag.

std::string text_line(std::mt19937& rng) {
  static const char* const words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
                                      "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
                                      "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
                                      "xray", "yankee", "zulu", "token", "secret", "value", "config"};
  std::string line;
  const unsigned n = 6 + rng() % 8;
  for (unsigned i = 0; i < n; ++i) {
    if (i) line += ' ';
    line += words[rng() % (sizeof words / sizeof *words)];
  }
  return line + " " + std::to_string(rng() % 100000) + "\n";
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

void edit_lines(std::vector<std::string>& lines, std::mt19937& rng, unsigned replace, unsigned insert) {
  for (unsigned i = 0; i < replace; ++i) lines[rng() % lines.size()] = text_line(rng);
  for (unsigned i = 0; i < insert; ++i)
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(rng() % lines.size()), text_line(rng));
}

/// Writes the history with one `git fast-import` (one process rather than a hundred), then checks
/// it out: 32 commits, one hour apart.
void build_history(GitRepo& repo) {
  repo.git("init -q -b main .");
  std::mt19937 rng(20240611);
  std::vector<std::string> big1, big2, code, notes;
  for (int i = 0; i < 700; ++i) big1.push_back(text_line(rng));
  for (int i = 0; i < 2400; ++i) big2.push_back(text_line(rng));  // > 64 KiB: copies of 0x10000 bytes
  for (int i = 0; i < 150; ++i) code.push_back("int f" + std::to_string(i) + "(void) { return " + std::to_string(rng() % 1000) + "; }\n");
  for (int i = 0; i < 40; ++i) notes.push_back(text_line(rng));
  std::string binary(12000, '\0');
  for (auto& c : binary) c = static_cast<char>(rng() & 0xff);
  std::string script = "#!/bin/sh\necho hello\n";

  std::string stream;
  auto data = [&](std::string_view bytes) {
    stream += "data " + std::to_string(bytes.size()) + "\n";
    stream.append(bytes);
    stream += "\n";
  };
  auto modify = [&](const std::string& mode, const std::string& path, std::string_view bytes) {
    stream += "M " + mode + " inline " + path + "\n";
    data(bytes);
  };
  auto when = [](int hour) { return std::to_string(1700000000 + 3600 * hour) + " +0000"; };
  constexpr int kCommits = 32;
  for (int i = 0; i < kCommits; ++i) {
    stream += "commit refs/heads/main\nmark :" + std::to_string(i + 1) + "\n";
    stream += "author T <t@example.com> " + when(i + 1) + "\ncommitter T <t@example.com> " + when(i + 1) + "\n";
    data("commit " + std::to_string(i) + "\n");
    if (i > 0) stream += "from :" + std::to_string(i) + "\n";
    if (i == 0) {
      modify("100644", "empty.txt", "");
      modify("100644", "docs/old.txt", join(notes));
      modify("120000", "link", "docs/big1.txt");  // a symlink: its target is the blob
    }
    edit_lines(big1, rng, 3, 1);
    modify("100644", "docs/big1.txt", join(big1));
    if (i % 3 == 0) {
      edit_lines(big2, rng, 10, 2);
      modify("100644", "docs/big2.txt", join(big2));
    }
    if (i % 2 == 0) {
      edit_lines(code, rng, 2, 1);
      modify("100644", "src/main.c", join(code));
    }
    if (i % 5 == 0) {
      for (int k = 0; k < 16; ++k) binary[rng() % binary.size()] = static_cast<char>(rng() & 0xff);
      modify("100644", "bin/data.bin", binary);
    }
    if (i % 7 == 3 || i == 0) {
      script += "echo step " + std::to_string(i) + "\n";
      modify("100755", "run.sh", script);
    }
    if (i % 4 == 1) modify("100644", "src/deep/nested/file" + std::to_string(i) + ".txt", join(notes) + std::to_string(i) + "\n");
    if (i == 12) modify("120000", "link", "run.sh");
    if (i == 20) stream += "D docs/old.txt\n";
    if (i == 25) stream += "R src/deep/nested/file1.txt src/deep/renamed.txt\n";
    if (i == kCommits - 1) stream += "M 160000 0123456789abcdef0123456789abcdef01234567 vendor/module\n";  // a submodule
    stream += "\n";
  }
  stream += "tag v1\nfrom :" + std::to_string(kCommits - 5) + "\ntagger T <t@example.com> " + when(kCommits + 1) + "\n";
  data("release one\n");
  const fs::path file = repo.dir().parent_path() / "history.stream";
  spit(file, stream);
  repo.git("fast-import --quiet < '" + file.string() + "'");
  fs::remove(file);
  repo.git("reset -q --hard main");
  REQUIRE(repo.git("rev-list --count main") == std::to_string(kCommits));
}

/// The history above, built once per process and copied by the fixtures that repack it.
const GitRepo& history() {
  static Scratch dir("history");
  static GitRepo repo = [] {
    GitRepo r(dir.dir() / "repo");
    fs::create_directories(r.dir());
    build_history(r);
    return r;
  }();
  return repo;
}

/// A copy of the history repacked into one pack with `repack_args`.
struct Fixture {
  Scratch scratch;
  GitRepo repo;
  std::vector<Obj> objects;  // in cat-file order (by id)
  std::map<std::string, std::size_t> by_hex;
  PackInfo pack;

  Fixture(const std::string& name, const std::string& repack_args) : scratch(name), repo(scratch.dir() / "repo") {
    fs::copy(history().dir(), repo.dir(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    repo.git(repack_args);
    objects = all_objects(repo);
    for (std::size_t i = 0; i < objects.size(); ++i) by_hex[objects[i].hex] = i;
    const auto indexes = pack_indexes(repo.git_dir());
    REQUIRE(indexes.size() == 1);
    pack = inspect_pack(repo, indexes[0]);
  }
  const Obj& object(const std::string& hex) const { return objects.at(by_hex.at(hex)); }
};

const Fixture& ofs_fixture() {
  static Fixture f("ofs", "repack -q -adf --depth=50 --window=50");
  return f;
}

const Fixture& ref_fixture() {
  static Fixture f("ref", "-c repack.useDeltaBaseOffset=false repack -q -adf --depth=50 --window=50");
  return f;
}

/// Reads every object of `f` with `reader` and compares it with libgit2's.
void check_reads_all(const Fixture& f, PackReader& reader, const std::vector<std::string>& order) {
  for (const auto& hex : order) {
    const Obj& want = f.object(hex);
    const auto got = reader.read(want.id);
    INFO("object " << hex);
    REQUIRE(got.status == Status::ok);
    CHECK(got.error.empty());
    CHECK(got.type == want.type);
    CHECK(got.size == want.bytes.size());
    CHECK(got.data.size() == want.bytes.size());
    CHECK(got.data == want.bytes);
  }
}

std::vector<std::string> pack_order(const Fixture& f) {
  std::vector<std::string> out;
  for (const auto& e : f.pack.entries) out.push_back(e.hex);
  return out;
}

/// Checks the deltas of a fixture's pack: many, deep, blobs and trees, all of entry type `kind`.
void check_deltas(const Fixture& f, unsigned kind) {
  std::size_t deltas = 0, whole = 0;
  int deepest = 0;
  std::set<std::string> types;
  for (const auto& e : f.pack.entries) {
    INFO("entry " << e.hex << " at " << e.offset);
    if (e.depth > 0) {
      ++deltas;
      deepest = std::max(deepest, e.depth);
      types.insert(e.type);
      CHECK(e.header.kind == kind);
      CHECK(f.pack.by_hex.count(e.base) == 1);
    } else {
      ++whole;
      CHECK(e.header.kind >= 1);
      CHECK(e.header.kind <= 4);
      CHECK(e.header.size == f.object(e.hex).bytes.size());
    }
  }
  CHECK(deltas >= 40);
  CHECK(whole >= 10);
  CHECK(deepest >= 10);
  CHECK(types.count("blob") == 1);
  CHECK(types.count("tree") == 1);
  // Every object git lists is in the pack, and the pack holds nothing else.
  REQUIRE(f.pack.entries.size() == f.objects.size());
  // The history holds what it should: all four object types, the empty blob, a blob > 64 KiB.
  std::set<git_object_t> kinds;
  bool empty = false, large = false;
  for (const auto& o : f.objects) {
    kinds.insert(o.type);
    empty = empty || (o.type == GIT_OBJECT_BLOB && o.bytes.empty());
    large = large || (o.type == GIT_OBJECT_BLOB && o.bytes.size() > 0x10000 && f.pack.entry(o.hex).depth > 0);
  }
  CHECK(kinds.size() == 4);
  CHECK(empty);
  CHECK(large);
}

// ---------------------------------------------------------------------------------------------
// Hand-made packs

std::string be32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
  return s;
}

std::uint32_t adler32(std::string_view data) {
  std::uint32_t a = 1, b = 0;
  for (unsigned char c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

/// A zlib stream of stored (uncompressed) deflate blocks.
std::string zlib_stored(std::string_view data) {
  std::string out("\x78\x01", 2);
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, data.size() - pos);
    const bool last = pos + n == data.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(~n & 0xff);
    out += static_cast<char>((~n >> 8) & 0xff);
    out.append(data.substr(pos, n));
    pos += n;
  } while (pos < data.size());
  return out + be32(adler32(data));
}

/// The type-and-size header of a pack entry.
std::string entry_header_bytes(unsigned kind, std::uint64_t size) {
  std::string h;
  unsigned c = (kind << 4) | static_cast<unsigned>(size & 15);
  size >>= 4;
  while (size) {
    h += static_cast<char>(c | 0x80);
    c = static_cast<unsigned>(size & 0x7f);
    size >>= 7;
  }
  h += static_cast<char>(c);
  return h;
}

/// A delta header's size (little-endian base 128).
std::string varint(std::uint64_t v) {
  std::string out;
  do {
    const unsigned c = v & 0x7f;
    v >>= 7;
    out += static_cast<char>(v ? c | 0x80 : c);
  } while (v);
  return out;
}

/// A delta copy instruction (a length of 0x10000 is written as no length bytes, as git does).
std::string copy_op(std::uint64_t offset, std::uint64_t length) {
  std::string args;
  unsigned cmd = 0x80;
  for (unsigned b = 0; b < 4; ++b)
    if ((offset >> (8 * b)) & 0xff) {
      cmd |= 1u << b;
      args += static_cast<char>((offset >> (8 * b)) & 0xff);
    }
  if (length != 0x10000)
    for (unsigned b = 0; b < 3; ++b)
      if ((length >> (8 * b)) & 0xff) {
        cmd |= 0x10u << b;
        args += static_cast<char>((length >> (8 * b)) & 0xff);
      }
  return std::string(1, static_cast<char>(cmd)) + args;
}

std::string insert_op(std::string_view bytes) {
  REQUIRE(!bytes.empty());
  REQUIRE(bytes.size() < 128);
  return std::string(1, static_cast<char>(bytes.size())) + std::string(bytes);
}

std::string delta_header(std::uint64_t base, std::uint64_t result) { return varint(base) + varint(result); }

git_oid hash_of(std::string_view data, git_object_t type = GIT_OBJECT_BLOB) {
  ensure_libgit2();
  git_oid id{};
  REQUIRE(git_odb_hash(&id, data.data(), data.size(), type) == 0);
  return id;
}

/// An id for an object that has no true content (a deliberately bad entry).
git_oid label_id(const std::string& label) { return hash_of("label " + label); }

/// A pack written entry by entry, with an index written here (no checks: damaged entries allowed)
/// or by `git index-pack` (which proves the pack valid).
class PackWriter {
 public:
  PackWriter() : bytes_("PACK" + be32(2) + be32(0)) {}

  std::uint64_t raw(std::string_view entry, const git_oid& id) {
    const std::uint64_t at = bytes_.size();
    bytes_.append(entry);
    objects_.emplace_back(id, at);
    return at;
  }
  std::uint64_t whole(git_object_t type, std::string_view data, const git_oid& id) {
    return raw(entry_header_bytes(type, data.size()) + zlib_stored(data), id);
  }
  std::uint64_t whole(git_object_t type, std::string_view data) { return whole(type, data, hash_of(data, type)); }
  std::uint64_t ofs(std::uint64_t base, std::string_view delta, const git_oid& id) {
    const std::uint64_t at = bytes_.size();
    return raw(entry_header_bytes(GIT_OBJECT_OFS_DELTA, delta.size()) + ofs_encoding(at - base) + zlib_stored(delta), id);
  }
  std::uint64_t ref(const git_oid& base, std::string_view delta, const git_oid& id) {
    return raw(entry_header_bytes(GIT_OBJECT_REF_DELTA, delta.size()) +
                   std::string(reinterpret_cast<const char*>(base.id), 20) + zlib_stored(delta),
               id);
  }
  std::uint64_t size() const { return bytes_.size(); }

  /// The pack's bytes with the object count and a SHA-1 trailer (from sha1sum, zeros without it).
  std::string finish(const fs::path& scratch_file) const {
    std::string out = bytes_;
    out.replace(8, 4, be32(static_cast<std::uint32_t>(objects_.size())));
    spit(scratch_file, out);
    const Ran r = run("sha1sum '" + scratch_file.string() + "'");
    std::string trailer(20, '\0');
    if (r.rc == 0 && r.out.size() >= 40) {
      git_oid sum{};
      if (git_oid_fromstrn(&sum, r.out.data(), 40) == 0) trailer.assign(reinterpret_cast<const char*>(sum.id), 20);
    }
    fs::remove(scratch_file);
    return out + trailer;
  }

  /// A version 2 index of the entries; `large` puts every offset in the 8-byte table.
  static std::string index(std::vector<std::pair<git_oid, std::uint64_t>> objects, bool large,
                           const std::map<std::size_t, std::uint32_t>& forced_words = {}) {
    std::sort(objects.begin(), objects.end(),
              [](const auto& a, const auto& b) { return std::memcmp(a.first.id, b.first.id, 20) < 0; });
    std::string out("\377tOc", 4);
    out += be32(2);
    for (unsigned first = 0; first < 256; ++first) {
      std::uint32_t n = 0;
      for (const auto& o : objects) n += o.first.id[0] <= first;
      out += be32(n);
    }
    for (const auto& o : objects) out.append(reinterpret_cast<const char*>(o.first.id), 20);
    for (std::size_t i = 0; i < objects.size(); ++i) out += be32(0);  // CRCs: not read
    std::string table;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      std::uint32_t word = static_cast<std::uint32_t>(objects[i].second);
      if (large) {
        word = 0x80000000u | static_cast<std::uint32_t>(i);
        table += be32(static_cast<std::uint32_t>(objects[i].second >> 32)) + be32(static_cast<std::uint32_t>(objects[i].second));
      }
      if (auto it = forced_words.find(i); it != forced_words.end()) word = it->second;
      out += be32(word);
    }
    return out + table + std::string(40, '\0');
  }
  std::string index(bool large = false) const { return index(objects_, large); }
  const std::vector<std::pair<git_oid, std::uint64_t>>& objects() const { return objects_; }

 private:
  std::string bytes_;
  std::vector<std::pair<git_oid, std::uint64_t>> objects_;
};

/// Writes a pack and its index under `git_dir`/objects/pack.
void install_pack(const fs::path& git_dir, const std::string& name, std::string_view pack, std::string_view idx) {
  spit(git_dir / "objects" / "pack" / ("pack-" + name + ".pack"), pack);
  spit(git_dir / "objects" / "pack" / ("pack-" + name + ".idx"), idx);
}

// ---------------------------------------------------------------------------------------------
// Trees

struct TreeBytes {
  std::string bytes;
  void add(std::string_view mode, std::string_view name, const git_oid& id) {
    bytes.append(mode);
    bytes += ' ';
    bytes.append(name);
    bytes += '\0';
    bytes.append(reinterpret_cast<const char*>(id.id), 20);
  }
};

/// Writes raw bytes as a loose object with libgit2 (which checks nothing).
git_oid write_loose(git_repository* repo, std::string_view bytes, git_object_t type) {
  git_odb* raw = nullptr;
  REQUIRE(git_repository_odb(&raw, repo) == 0);
  OdbPtr odb(raw);
  git_oid id{};
  REQUIRE(git_odb_write(&id, odb.get(), bytes.data(), bytes.size(), type) == 0);
  return id;
}

/// Checks that a RawTree holds exactly what libgit2 parses from the same tree.
void check_same_tree(const RawTree& raw, const git_tree* tree) {
  REQUIRE(raw.entries().size() == git_tree_entrycount(tree));
  for (std::size_t i = 0; i < raw.entries().size(); ++i) {
    const RawTree::Entry& e = raw.entries()[i];
    const git_tree_entry* g = git_tree_entry_byindex(tree, i);
    INFO("entry " << i << " '" << git_tree_entry_name(g) << "' mode " << std::oct << git_tree_entry_filemode_raw(g));
    CHECK(e.name == std::string_view(git_tree_entry_name(g)));
    CHECK(git_oid_equal(e.id, git_tree_entry_id(g)));
    CHECK(e.mode == static_cast<std::uint32_t>(git_tree_entry_filemode_raw(g)));
    CHECK(e.type() == git_tree_entry_type(g));
    CHECK(e.filemode() == git_tree_entry_filemode(g));
    CHECK(e.is_tree() == (git_tree_entry_type(g) == GIT_OBJECT_TREE));
  }
}

TreePtr lookup_tree(git_repository* repo, const git_oid& id) {
  git_tree* raw = nullptr;
  REQUIRE(git_tree_lookup(&raw, repo, &id) == 0);
  return TreePtr(raw);
}

int sign(int v) { return (v > 0) - (v < 0); }

}  // namespace

// =============================================================================================
// PackReader on packs written by git

TEST_CASE("PackReader reads every object of OFS_DELTA and REF_DELTA packs exactly as libgit2 does", "[pack_reader]") {
  NEED_GIT();
  const bool ofs = GENERATE(true, false);
  INFO((ofs ? "OFS_DELTA" : "REF_DELTA") << " pack");
  const Fixture& f = ofs ? ofs_fixture() : ref_fixture();
  check_deltas(f, ofs ? GIT_OBJECT_OFS_DELTA : GIT_OBJECT_REF_DELTA);

  PackStore store(f.repo.git_dir());
  REQUIRE(store.packs() == 1);
  for (const auto& e : f.pack.entries) {
    const auto where = store.find(e.id);
    INFO("object " << e.hex);
    REQUIRE(where.has_value());
    CHECK(where->pack == 0);
    CHECK(where->offset == e.offset);
  }
  PackReader reader(store);
  std::vector<std::string> by_id;
  for (const auto& o : f.objects) by_id.push_back(o.hex);
  check_reads_all(f, reader, by_id);
  check_reads_all(f, reader, pack_order(f));  // again, now from a warm cache
  auto reverse = pack_order(f);
  std::reverse(reverse.begin(), reverse.end());
  PackReader cold(store);
  check_reads_all(f, cold, reverse);  // bases after their deltas: every chain resolved from its end
}

TEST_CASE("PackStore maps every pack, leaves loose objects missing, and follows alternates", "[pack_reader]") {
  NEED_GIT();
  Scratch scratch("multi");
  GitRepo repo(scratch.dir() / "repo");
  fs::copy(history().dir(), repo.dir(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  repo.git("repack -q -ad");  // pack 1: the history
  for (int i = 0; i < 4; ++i) {
    repo.write("docs/big1.txt", slurp(repo.dir() / "docs/big1.txt") + "more " + std::to_string(i) + "\n");
    repo.write("later/n" + std::to_string(i) + ".txt", "note " + std::to_string(i) + "\n");
    repo.commit("later " + std::to_string(i));
  }
  repo.git("repack -q -d");  // pack 2: only what was loose
  for (int i = 0; i < 2; ++i) {
    repo.write("loose/l" + std::to_string(i) + ".txt", "loose " + std::to_string(i) + "\n");
    repo.commit("loose " + std::to_string(i));  // stays loose
  }

  const auto indexes = pack_indexes(repo.git_dir());
  REQUIRE(indexes.size() == 2);
  std::vector<PackInfo> packs;
  for (const auto& idx : indexes) packs.push_back(inspect_pack(repo, idx));
  const auto objects = all_objects(repo);

  PackStore store(repo.git_dir());
  REQUIRE(store.packs() == 2);
  std::map<std::string, std::uint32_t> pack_of;
  for (std::uint32_t p = 0; p < packs.size(); ++p) {
    CHECK(packs[p].entries.size() >= 10);
    for (const auto& e : packs[p].entries) {
      INFO("object " << e.hex << " of pack " << p);
      const auto where = store.find(e.id);
      REQUIRE(where.has_value());
      CHECK(where->pack == p);  // packs are numbered in the order of their index files' names
      CHECK(where->offset == e.offset);
      pack_of.emplace(e.hex, p);
    }
  }

  PackReader reader(store);
  std::size_t loose = 0;
  std::map<std::uint32_t, std::size_t> read_from;
  for (const auto& o : objects) {
    INFO("object " << o.hex);
    const auto got = reader.read(o.id);
    if (pack_of.count(o.hex)) {
      REQUIRE(got.status == Status::ok);
      CHECK(got.type == o.type);
      CHECK(got.data == o.bytes);
      ++read_from[pack_of[o.hex]];
    } else {
      ++loose;
      CHECK(fs::exists(repo.git_dir() / "objects" / o.hex.substr(0, 2) / o.hex.substr(2)));
      CHECK_FALSE(store.find(o.id).has_value());
      CHECK(got.status == Status::missing);
      CHECK(got.data.empty());
      CHECK_FALSE(got.owner);
    }
  }
  CHECK(loose >= 8);  // two commits, their trees and blobs
  CHECK(std::max(read_from[0], read_from[1]) >= 100);  // the history
  CHECK(std::min(read_from[0], read_from[1]) >= 10);   // the four later commits

  // An id in no pack at all.
  git_oid nowhere = oid("0123456789abcdef0123456789abcdef01234567");
  CHECK_FALSE(store.find(nowhere).has_value());
  CHECK(reader.read(nowhere).status == Status::missing);

  {  // a repository that borrows its objects (alternates, absolute and relative)
    GitRepo clone(scratch.dir() / "clone");
    GitRepo(scratch.dir()).git("clone -q --shared --no-checkout repo clone");
    const fs::path alternates = clone.git_dir() / "objects" / "info" / "alternates";
    REQUIRE(fs::exists(alternates));
    REQUIRE(pack_indexes(clone.git_dir()).empty());
    for (const std::string& line :
         {slurp(alternates), "# borrowed\n" + fs::relative(repo.git_dir() / "objects", clone.git_dir() / "objects").string() + "\n"}) {
      spit(alternates, line);
      PackStore borrowed(clone.git_dir());
      CHECK(borrowed.packs() == 2);
      PackReader r(borrowed);
      for (const auto& o : objects) {
        if (!pack_of.count(o.hex)) continue;
        INFO("object " << o.hex << " through " << line);
        const auto got = r.read(o.id);
        REQUIRE(got.status == Status::ok);
        CHECK(got.data == o.bytes);
      }
    }
  }

  {  // no repository at all
    PackStore none(scratch.dir() / "nothing-here");
    CHECK(none.packs() == 0);
    PackReader r(none);
    CHECK(r.read(objects.front().id).status == Status::missing);
  }
}

TEST_CASE("PackReader reads a pack whose index holds 8-byte offsets", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Scratch scratch("large-offsets");
  const fs::path pack_dir = scratch.dir() / "git" / "objects" / "pack";
  fs::create_directories(pack_dir);
  const fs::path pack = pack_dir / f.pack.pack.filename();
  const fs::path idx = pack_dir / f.pack.idx.filename();
  fs::copy_file(f.pack.pack, pack);
  // git's own switch (meant for its tests): objects above offset 0x100 go to the 8-byte table.
  f.repo.git("index-pack --index-version=2,0x100 -o '" + idx.string() + "' '" + pack.string() + "'");
  std::size_t above = 0;
  for (const auto& e : f.pack.entries) above += e.offset > 0x100;
  REQUIRE(above >= 100);
  CHECK(fs::file_size(idx) == fs::file_size(f.pack.idx) + 8 * above);
  PackStore store(scratch.dir() / "git");
  REQUIRE(store.packs() == 1);
  for (const auto& e : f.pack.entries) {
    const auto where = store.find(e.id);
    REQUIRE(where.has_value());
    CHECK(where->offset == e.offset);
  }
  PackReader reader(store);
  check_reads_all(f, reader, pack_order(f));
}

TEST_CASE("PackReader returns the same bytes with tiny caches, in any order, and its results outlive later reads",
          "[pack_reader]") {
  NEED_GIT();
  for (const Fixture* f : {&ofs_fixture(), &ref_fixture()}) {
    PackStore store(f->repo.git_dir());
    auto forward = pack_order(*f);
    auto backward = forward;
    std::reverse(backward.begin(), backward.end());
    auto shuffled = forward;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
    for (std::size_t cache : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{64} << 10, std::size_t{48} << 20}) {
      INFO("cache " << cache << ", " << (f == &ofs_fixture() ? "OFS" : "REF") << " deltas");
      PackReader reader(store, cache);
      for (const auto* order : {&forward, &backward, &shuffled}) {
        std::vector<PackReader::Object> kept;
        kept.reserve(order->size());
        for (const auto& hex : *order) {
          auto got = reader.read(f->object(hex).id);
          INFO("object " << hex);
          REQUIRE(got.status == Status::ok);
          REQUIRE(got.data == f->object(hex).bytes);
          kept.push_back(std::move(got));
        }
        // Every result is still intact: its owner keeps its bytes whatever was read since.
        for (std::size_t i = 0; i < kept.size(); ++i) {
          INFO("object " << (*order)[i]);
          CHECK(kept[i].owner);
          CHECK(kept[i].data == f->object((*order)[i]).bytes);
        }
      }
      // The same object twice in a row, then something else in between.
      for (std::size_t i = 0; i < forward.size(); i += 5) {
        const Obj& want = f->object(forward[i]);
        const auto first = reader.read(want.id);
        const auto second = reader.read(want.id);
        const auto other = reader.read(f->object(forward[(i * 7 + 3) % forward.size()]).id);
        INFO("object " << want.hex);
        REQUIRE(first.status == Status::ok);
        REQUIRE(second.status == Status::ok);
        REQUIRE(other.status == Status::ok);
        CHECK(first.data == want.bytes);
        CHECK(second.data == want.bytes);
        CHECK(second.type == want.type);
      }
    }
  }
}

TEST_CASE("One PackStore serves several threads, each with its own PackReader", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  const PackStore store(f.repo.git_dir());
  const auto order = pack_order(f);
  std::vector<std::size_t> wrong(4, 0), read(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < wrong.size(); ++t)
    threads.emplace_back([&, t] {
      PackReader reader(store, t % 2 ? std::size_t{4096} : std::size_t{48} << 20);
      for (int pass = 0; pass < 2; ++pass)
        for (std::size_t i = 0; i < order.size(); ++i) {
          // Each thread its own order: forward, backward, or strided.
          const std::size_t k = t == 0 ? i : t == 1 ? order.size() - 1 - i : (i * (2 * t + 1)) % order.size();
          const Obj& want = f.object(order[k]);
          const auto got = reader.read(want.id);
          ++read[t];
          if (got.status != Status::ok || got.type != want.type || got.data != want.bytes) ++wrong[t];
        }
    });
  for (auto& t : threads) t.join();
  for (std::size_t t = 0; t < wrong.size(); ++t) {
    INFO("thread " << t);
    CHECK(read[t] == 2 * order.size());
    CHECK(wrong[t] == 0);
  }
}

TEST_CASE("PackReader reports objects above the size limit as too_large, with their size", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  PackStore store(f.repo.git_dir());

  const PackEntry* whole = nullptr;
  const PackEntry* delta = nullptr;
  for (const auto& e : f.pack.entries) {
    const std::size_t size = f.object(e.hex).bytes.size();
    if (e.type != "blob" || size < 1000) continue;
    if (e.depth == 0 && (!whole || size > f.object(whole->hex).bytes.size())) whole = &e;
    if (e.depth >= 3 && (!delta || size > f.object(delta->hex).bytes.size())) delta = &e;
  }
  REQUIRE(whole);
  REQUIRE(delta);
  const Obj& big = f.object(whole->hex);
  const Obj& derived = f.object(delta->hex);
  const Obj& small = f.object(f.pack.entries.front().hex);  // a commit, whole

  // Refused over `limit`, read at its size, refused again once cached, and `small` read between.
  auto check_limits = [&](const Obj& o, std::uint64_t limit, bool typed) {
    PackReader reader(store);
    auto refused = [&](std::uint64_t below) {
      const auto got = reader.read(o.id, below);
      CHECK(got.status == Status::too_large);
      CHECK(got.size == o.bytes.size());
      if (typed) CHECK(got.type == GIT_OBJECT_BLOB);
      else CHECK((got.type == GIT_OBJECT_BLOB || got.type == GIT_OBJECT_INVALID));  // a delta's type is its base's
      CHECK(got.data.empty());
    };
    auto reads = [&](const Obj& want, std::uint64_t limit_) {
      const auto got = reader.read(want.id, limit_);
      REQUIRE(got.status == Status::ok);
      CHECK(got.data == want.bytes);
    };
    refused(o.bytes.size() - 1);
    reads(small, UINT64_MAX);
    reads(o, o.bytes.size());  // at the limit: read
    refused(limit);            // now cached: still refused
    if (typed) reads(o, UINT64_MAX);
  };
  SECTION("a whole blob") { check_limits(big, 10, true); }
  SECTION("a delta blob") { check_limits(derived, 0, false); }

  SECTION("every object, at its size and one byte under it, cold and warm") {
    for (std::size_t cache : {std::size_t{1}, std::size_t{48} << 20}) {
      PackReader reader(store, cache);
      for (int pass = 0; pass < 2; ++pass)
        for (const auto& hex : pack_order(f)) {
          const Obj& want = f.object(hex);
          INFO("object " << hex << ", pass " << pass << ", cache " << cache);
          if (!want.bytes.empty()) {
            const auto refused = reader.read(want.id, want.bytes.size() - 1);
            CHECK(refused.status == Status::too_large);
            CHECK(refused.size == want.bytes.size());
          }
          const auto got = reader.read(want.id, want.bytes.size());
          REQUIRE(got.status == Status::ok);
          CHECK(got.data == want.bytes);
        }
    }
  }
}

// =============================================================================================
// Damaged packs: never a crash, never a read out of bounds, never wrong bytes reported as ok

namespace {

/// A copy of a fixture's pack (and index) under a scratch repository, to damage.
class Damage {
 public:
  Damage(const Fixture& f, const std::string& name) : f_(f), scratch_(name), git_dir_(scratch_.dir() / "git") {
    fs::create_directories(git_dir_ / "objects" / "pack");
    idx_ = git_dir_ / "objects" / "pack" / f.pack.idx.filename();
    pack_ = git_dir_ / "objects" / "pack" / f.pack.pack.filename();
    fs::copy_file(f.pack.idx, idx_);
  }

  /// Writes `pack` as the pack, reads every object twice (pack order and reverse, each with a fresh
  /// reader of `cache` bytes) and checks the only allowed outcomes: the original bytes, corrupt
  /// (with a reason) or missing. Returns each object's status (pack order).
  std::map<std::string, Status> survey(std::string_view pack, std::size_t cache = std::size_t{48} << 20) {
    spit(pack_, pack);
    PackStore store(git_dir_);
    std::map<std::string, Status> out;
    auto order = pack_order(f_);
    for (int pass = 0; pass < 2; ++pass) {
      PackReader reader(store, cache);
      for (const auto& hex : order) {
        const Obj& want = f_.object(hex);
        const auto got = reader.read(want.id);
        INFO("object " << hex << " (" << got.error << ")");
        if (got.status == Status::ok) {
          CHECK(got.type == want.type);
          CHECK(got.data == want.bytes);
        } else if (got.status == Status::corrupt) {
          CHECK_FALSE(got.error.empty());
        } else {
          CHECK(got.status == Status::missing);
        }
        if (pass == 0) {
          out[hex] = got.status;
        } else if (got.status != out[hex]) {
          // The order of reading may change what is cached, never what is right: an object read
          // in one order is corrupt in the other only if its chain is damaged.
          CHECK(got.status != Status::ok);
          CHECK(out[hex] != Status::ok);
        }
      }
      std::reverse(order.begin(), order.end());
    }
    return out;
  }
  const fs::path& idx() const { return idx_; }
  const fs::path& git_dir() const { return git_dir_; }

 private:
  const Fixture& f_;
  Scratch scratch_;
  fs::path git_dir_, idx_, pack_;
};

/// Checks that exactly the objects whose delta chain goes through `offset` have `status`, and
/// that every other object was read correctly.
void check_only_dependents(const Fixture& f, const std::map<std::string, Status>& got, std::uint64_t offset,
                           Status status) {
  std::size_t hit = 0;
  for (const auto& [hex, st] : got) {
    const auto chain = f.pack.chain(hex);
    const bool depends = std::find(chain.begin(), chain.end(), offset) != chain.end();
    INFO("object " << hex << (depends ? " depends on" : " is independent of") << " the entry at " << offset);
    CHECK(st == (depends ? status : Status::ok));
    hit += depends;
  }
  CHECK(hit >= 1);
}

}  // namespace

TEST_CASE("PackReader on packs with flipped bytes in compressed data", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Damage damage(f, "flip");
  REQUIRE(damage.survey(f.pack.bytes) == [&] {
    std::map<std::string, Status> all;
    for (const auto& e : f.pack.entries) all[e.hex] = Status::ok;
    return all;
  }());
  std::mt19937 rng(99);
  std::size_t damaged = 0;
  for (std::size_t i = 0; i < f.pack.entries.size(); i += 9) {
    const PackEntry& e = f.pack.entries[i];
    const std::uint64_t end = e.offset + e.packed;
    // The zlib header, somewhere inside, and the last byte (of the Adler-32 check).
    for (std::uint64_t at : {e.data, e.data + (end - e.data) / 2, end - 1}) {
      std::string bytes = f.pack.bytes;
      bytes[at] = static_cast<char>(bytes[at] ^ (1 + rng() % 255));
      INFO("entry " << e.hex << " (" << e.type << ", depth " << e.depth << ") byte " << at);
      check_only_dependents(f, damage.survey(bytes), e.offset, Status::corrupt);
      ++damaged;
    }
  }
  CHECK(damaged >= 40);
}

TEST_CASE("PackReader on truncated packs and indexes", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Damage damage(f, "truncate");
  const std::uint64_t full = f.pack.bytes.size();
  std::vector<std::uint64_t> lengths{0, 1, 11, 12, 31, 32, 33, full - 21, full - 20, full - 1};
  for (int k = 1; k < 16; ++k) lengths.push_back(full * static_cast<std::uint64_t>(k) / 16);
  for (const auto& e : f.pack.entries)  // cut inside the last few entries' headers and data
    if (e.offset > full - 2000) {
      lengths.push_back(e.offset + 20 + 1);
      lengths.push_back(e.data + 20 + 2);
    }
  for (std::uint64_t length : lengths) {
    length = std::min(length, full);
    INFO("pack cut to " << length << " of " << full << " bytes");
    for (std::size_t cache : {std::size_t{1}, std::size_t{48} << 20}) {
      const auto got = damage.survey(std::string_view(f.pack.bytes).substr(0, length), cache);
      const std::uint64_t data_end = length >= 32 ? length - 20 : 0;
      for (const auto& e : f.pack.entries) {
        INFO("object " << e.hex << " at " << e.offset << "+" << e.packed);
        if (length < 32 || e.offset >= data_end) {
          CHECK(got.at(e.hex) == Status::missing);  // the pack is left out, or the index points past its end
        } else if (e.offset + e.packed <= data_end) {
          CHECK(got.at(e.hex) == Status::ok);  // its base lies before it: intact too
        } else {
          CHECK(got.at(e.hex) == Status::corrupt);
        }
      }
    }
  }
}

TEST_CASE("PackReader leaves out a pack whose index is damaged or missing", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Damage damage(f, "index");
  {
    const std::string idx = slurp(f.pack.idx);
    std::vector<std::string> variants{idx.substr(0, idx.size() - 1), idx.substr(0, 8 + 1024), idx.substr(0, 100), ""};
    std::string unsorted = idx;
    unsorted[8 + 4 * 10 + 3] = static_cast<char>(0xff);  // fan-out[10] above fan-out[11]
    variants.push_back(unsorted);
    std::string version = idx;
    version[7] = 3;
    variants.push_back(version);
    std::string magic = idx;
    magic[0] = 'x';
    variants.push_back(magic);
    for (const auto& v : variants) {
      spit(damage.idx(), v);
      for (const auto& [hex, st] : damage.survey(f.pack.bytes)) {
        INFO("object " << hex << ", index of " << v.size() << " bytes");
        CHECK(st == Status::missing);
      }
    }
    fs::remove(damage.idx());
    for (const auto& [hex, st] : damage.survey(f.pack.bytes)) CHECK(st == Status::missing);
    PackStore store(damage.git_dir());
    CHECK(store.packs() == 0);
  }

  {  // a pack whose header does not match its index
    std::string count = f.pack.bytes;
    count[11] = static_cast<char>(count[11] + 1);
    std::string magic = f.pack.bytes;
    magic[1] = 'O';
    std::string version = f.pack.bytes;
    version[7] = 4;
    for (const auto& v : {count, magic, version})
      for (const auto& [hex, st] : damage.survey(v)) CHECK(st == Status::missing);
  }
}

TEST_CASE("PackReader on packs with damaged entry headers and delta bases", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Damage damage(f, "headers");
  std::vector<const PackEntry*> whole, deltas;
  for (const auto& e : f.pack.entries) (e.depth ? deltas : whole).push_back(&e);
  REQUIRE(whole.size() >= 10);
  REQUIRE(deltas.size() >= 10);
  const PackEntry* empty_blob = nullptr;
  for (const auto& e : f.pack.entries)
    if (e.type == "blob" && e.header.size == 0 && e.depth == 0) empty_blob = &e;
  REQUIRE(empty_blob);
  // Some whole objects of each kind and some deltas, among them the bases of long chains.
  std::vector<const PackEntry*> targets{empty_blob};
  for (std::size_t i = 0; i < whole.size(); i += whole.size() / 6) targets.push_back(whole[i]);
  for (std::size_t i = 0; i < deltas.size(); i += deltas.size() / 8) targets.push_back(deltas[i]);

  for (const PackEntry* e : targets) {
    INFO("entry " << e->hex << " (" << e->type << ", depth " << e->depth << ", kind " << e->header.kind << ")");
    const unsigned char first = static_cast<unsigned char>(f.pack.bytes[e->offset]);
    for (unsigned kind : {0u, 5u}) {  // types no entry has
      std::string bytes = f.pack.bytes;
      bytes[e->offset] = static_cast<char>((first & 0x8f) | (kind << 4));
      check_only_dependents(f, damage.survey(bytes), e->offset, Status::corrupt);
    }
    {  // a stated size one off
      std::string bytes = f.pack.bytes;
      bytes[e->offset] = static_cast<char>(first ^ 0x01);
      check_only_dependents(f, damage.survey(bytes), e->offset, Status::corrupt);
    }
    {  // a stated size far too large (the top size bits of a multi-byte header)
      std::string bytes = f.pack.bytes;
      const std::uint64_t last = e->offset + e->header.length - 1;
      if (e->header.length > 1 && static_cast<unsigned char>(bytes[last]) != 0x7f) {
        bytes[last] = static_cast<char>(0x7f);
        check_only_dependents(f, damage.survey(bytes), e->offset, Status::corrupt);
      }
    }
    {  // a header that runs on into the data
      std::string bytes = f.pack.bytes;
      const std::uint64_t last = e->offset + e->header.length - 1;
      bytes[last] = static_cast<char>(bytes[last] | 0x80);
      const auto got = damage.survey(bytes);
      CHECK(got.at(e->hex) != Status::ok);
    }
  }
}

TEST_CASE("PackReader on OFS_DELTA base distances of zero, before the pack, at another entry, at no entry",
          "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Damage damage(f, "distances");
  std::vector<const PackEntry*> deltas;
  for (const auto& e : f.pack.entries)
    if (e.depth) deltas.push_back(&e);
  {
    std::size_t zero = 0, outside = 0, elsewhere = 0;
    for (const PackEntry* e : deltas) {
      INFO("delta " << e->hex << " at " << e->offset << ", base " << e->base);
      const std::size_t n = e->data - e->field;
      const std::uint64_t true_base = f.pack.entry(e->base).offset;
      REQUIRE(f.pack.bytes.substr(e->field, n) == ofs_encoding(e->offset - true_base));
      auto with_distance = [&](std::uint64_t back) {
        std::string bytes = f.pack.bytes;
        const std::string field = ofs_encoding(back);
        REQUIRE(field.size() == n);
        bytes.replace(e->field, n, field);
        return bytes;
      };
      if (n == 1 && zero < 3) {
        std::string bytes = f.pack.bytes;
        bytes[e->field] = 0;
        check_only_dependents(f, damage.survey(bytes), e->offset, Status::corrupt);
        ++zero;
      }
      if (ofs_max(n) > e->offset - 12 && outside < 3) {
        check_only_dependents(f, damage.survey(with_distance(ofs_max(n))), e->offset, Status::corrupt);
        if (e->offset - 11 >= (n == 1 ? 0 : ofs_max(n - 1) + 1))  // one byte before the first entry
          check_only_dependents(f, damage.survey(with_distance(e->offset - 11)), e->offset, Status::corrupt);
        ++outside;
      }
      if (elsewhere < 6) {
        // Another entry before it, of another size than the true base: "a base of another size".
        const std::size_t base_size = f.object(e->base).bytes.size();
        for (const auto& other : f.pack.entries) {
          if (other.offset >= e->offset || other.offset == true_base) continue;
          const std::uint64_t back = e->offset - other.offset;
          if (ofs_encoding(back).size() != n || f.object(other.hex).bytes.size() == base_size) continue;
          check_only_dependents(f, damage.survey(with_distance(back)), e->offset, Status::corrupt);
          ++elsewhere;
          break;
        }
        // Into the middle of another entry's data: anything but wrong bytes (survey checks that).
        const std::uint64_t mid = (true_base + f.pack.entry(e->base).packed / 2);
        if (mid < e->offset && ofs_encoding(e->offset - mid).size() == n) damage.survey(with_distance(e->offset - mid));
      }
    }
    CHECK(zero >= 1);
    CHECK(outside >= 1);
    CHECK(elsewhere >= 3);
  }
}

TEST_CASE("PackReader on REF_DELTA entries with damaged base ids", "[pack_reader]") {
  NEED_GIT();
  const Fixture& f = ref_fixture();
  Damage damage(f, "refs");
  std::vector<const PackEntry*> deltas;
  for (const auto& e : f.pack.entries)
    if (e.depth > 0) deltas.push_back(&e);
  REQUIRE(deltas.size() >= 10);
  auto with_base = [&](const PackEntry& e, const git_oid& base) {
    std::string bytes = f.pack.bytes;
    REQUIRE(bytes.substr(e.field, 20) == std::string(reinterpret_cast<const char*>(f.pack.entry(e.base).id.id), 20));
    bytes.replace(e.field, 20, reinterpret_cast<const char*>(base.id), 20);
    return bytes;
  };
  std::size_t cycles = 0, others = 0;
  for (std::size_t i = 0; i < deltas.size(); i += deltas.size() / 6) {
    const PackEntry& e = *deltas[i];
    INFO("delta " << e.hex << " at " << e.offset << ", depth " << e.depth);
    // Its own id: a chain without end.
    check_only_dependents(f, damage.survey(with_base(e, e.id)), e.offset, Status::corrupt);
    // An id in no pack: the base is elsewhere, for libgit2 to find.
    check_only_dependents(f, damage.survey(with_base(e, oid("abababababababababababababababababababab"))), e.offset,
                          Status::missing);
    // A two-entry cycle: its base's base becomes itself.
    const PackEntry& base = f.pack.entry(e.base);
    if (base.depth > 0) {
      const auto got = damage.survey(with_base(base, e.id));
      CHECK(got.at(e.hex) == Status::corrupt);
      CHECK(got.at(base.hex) == Status::corrupt);
      ++cycles;
    }
    // Another object of another size.
    for (const auto& other : f.pack.entries)
      if (other.hex != e.base && other.hex != e.hex && f.object(other.hex).bytes.size() != f.object(e.base).bytes.size() &&
          other.depth == 0) {
        check_only_dependents(f, damage.survey(with_base(e, other.id)), e.offset, Status::corrupt);
        ++others;
        break;
      }
  }
  CHECK(cycles >= 1);
  CHECK(others >= 3);
}

// =============================================================================================
// Hand-made packs: every delta instruction and every refusal, one entry at a time

TEST_CASE("PackReader applies hand-made deltas and refuses malformed ones", "[pack_reader]") {
  NEED_GIT();
  ensure_libgit2();
  Scratch scratch("handmade");
  GitRepo repo = bare_repo(scratch);
  const fs::path git_dir = repo.dir();

  std::mt19937 rng(5);
  const std::string small = "0123456789abcdefghijklmnopqrstuvwxyz";  // 36 bytes
  std::string large(70000, '\0');
  for (auto& c : large) c = static_cast<char>('a' + rng() % 26);

  struct Case {
    std::string name;
    git_oid id{};
    Status status = Status::ok;
    std::string bytes;  // when ok
  };
  std::vector<Case> cases;
  PackWriter w;
  const std::uint64_t small_at = w.whole(GIT_OBJECT_BLOB, small);
  const git_oid small_id = hash_of(small);
  const std::uint64_t large_at = w.whole(GIT_OBJECT_BLOB, large);
  const git_oid large_id = hash_of(large);
  cases.push_back({"small base", small_id, Status::ok, small});
  cases.push_back({"large base", large_id, Status::ok, large});
  cases.push_back({"empty blob", hash_of(""), Status::ok, ""});
  w.whole(GIT_OBJECT_BLOB, "");
  const std::string commit_text = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor T <t@example.com> 1 +0000\n"
                                  "committer T <t@example.com> 1 +0000\n\nx\n";
  cases.push_back({"commit", hash_of(commit_text, GIT_OBJECT_COMMIT), Status::ok, commit_text});
  w.whole(GIT_OBJECT_COMMIT, commit_text);

  auto good_ofs = [&](const std::string& name, std::uint64_t base_at, const std::string& delta, const std::string& result) {
    const git_oid id = hash_of(result);
    cases.push_back({name, id, Status::ok, result});
    return w.ofs(base_at, delta, id);
  };
  auto bad_ofs = [&](const std::string& name, std::uint64_t base_at, const std::string& delta) {
    const git_oid id = label_id(name);
    cases.push_back({name, id, Status::corrupt, ""});
    return w.ofs(base_at, delta, id);
  };
  auto bad_raw = [&](const std::string& name, const std::string& entry) {
    const git_oid id = label_id(name);
    cases.push_back({name, id, Status::corrupt, ""});
    return w.raw(entry, id);
  };

  // Valid deltas.
  good_ofs("copy and insert", small_at,
           delta_header(36, 16) + copy_op(10, 10) + insert_op("XYZ") + copy_op(0, 3),
           "abcdefghijXYZ012");
  good_ofs("copy of 0x10000 bytes written with no length bytes", large_at,
           delta_header(large.size(), 0x10002) + copy_op(0, 0x10000) + insert_op("!!"),
           large.substr(0, 0x10000) + "!!");
  good_ofs("copy with every length byte and a high offset byte", large_at,
           delta_header(large.size(), 0x010101) + copy_op(0x0100, 0x010101),
           large.substr(0x100, 0x010101));
  {
    const git_oid id = label_id("an empty result");
    cases.push_back({"an empty result", id, Status::ok, ""});
    w.ofs(small_at, delta_header(36, 0), id);
  }
  good_ofs("insert only", small_at, delta_header(36, 5) + insert_op("hello"), "hello");
  {
    // A chain of 60 deltas, each adding one byte to the one before it.
    std::uint64_t at = small_at;
    std::string content = small;
    for (int i = 0; i < 60; ++i) {
      const std::string next = content + static_cast<char>('A' + i % 26);
      at = good_ofs("chain " + std::to_string(i), at,
                    delta_header(content.size(), next.size()) + copy_op(0, content.size()) + insert_op(next.substr(content.size())),
                    next);
      content = next;
    }
  }
  {
    const std::string result = "zyx" + small.substr(30);
    const git_oid id = hash_of(result);
    cases.push_back({"REF_DELTA to the same pack", id, Status::ok, result});
    w.ref(small_id, delta_header(36, 9) + insert_op("zyx") + copy_op(30, 6), id);
  }
  {
    // The first entry is as far back as a base can be (distance = offset - 12).
    const std::string result = small.substr(0, 4);
    const git_oid id = hash_of(result);
    cases.push_back({"base at the first entry", id, Status::ok, result});
    REQUIRE(small_at == 12);
    w.ofs(small_at, delta_header(36, 4) + copy_op(0, 4), id);
  }

  // Malformed deltas.
  bad_ofs("copy past the base (offset)", small_at, delta_header(36, 1) + copy_op(37, 1));
  bad_ofs("copy past the base (length)", small_at, delta_header(36, 10) + copy_op(30, 10));
  bad_ofs("copy past the result", small_at, delta_header(36, 5) + copy_op(0, 10));
  bad_ofs("copy of 0x10000 from a small base", small_at, delta_header(36, 0x10000) + copy_op(0, 0x10000));
  bad_ofs("insert past the delta", small_at, delta_header(36, 10) + std::string(1, '\x0a') + "abc");
  bad_ofs("insert past the result", small_at, delta_header(36, 2) + insert_op("abc"));
  bad_ofs("opcode 0", small_at, delta_header(36, 1) + std::string(1, '\0') + "x");
  bad_ofs("result shorter than stated", small_at, delta_header(36, 20) + copy_op(0, 10));
  bad_ofs("result longer than stated", small_at, delta_header(36, 5) + copy_op(0, 5) + insert_op("x"));
  bad_ofs("base of another size", small_at, delta_header(35, 5) + copy_op(0, 5));
  bad_ofs("copy arguments cut short", small_at, delta_header(36, 5) + std::string(1, '\x91'));
  bad_ofs("unterminated size", small_at, std::string(12, '\x80'));
  // (A delta of a base size alone, or with a result size cut by its end: a test case of its own below.)
  bad_ofs("empty delta", small_at, "");
  bad_ofs("a result of 1 TiB", small_at, delta_header(36, std::uint64_t{1} << 40) + copy_op(0, 36));
  bad_ofs("a result far above what the delta can make", small_at, delta_header(36, std::uint64_t{0x10000} * 64) + copy_op(0, 36));
  bad_ofs("a 10-byte size", small_at, std::string(9, '\xff') + "\x01" + varint(1) + copy_op(0, 1));

  // Malformed entries.
  bad_raw("type 0", entry_header_bytes(0, 3) + zlib_stored("abc"));
  bad_raw("type 5", entry_header_bytes(5, 3) + zlib_stored("abc"));
  bad_raw("size above the data", entry_header_bytes(GIT_OBJECT_BLOB, 4) + zlib_stored("abc"));
  bad_raw("size below the data", entry_header_bytes(GIT_OBJECT_BLOB, 2) + zlib_stored("abc"));
  bad_raw("size of 8 GiB", entry_header_bytes(GIT_OBJECT_BLOB, std::uint64_t{8} << 30) + zlib_stored("abc"));
  bad_raw("size of 40 MiB", entry_header_bytes(GIT_OBJECT_BLOB, std::uint64_t{40} << 20) + zlib_stored("abc"));
  bad_raw("not zlib", entry_header_bytes(GIT_OBJECT_BLOB, 3) + "abcdefgh");
  bad_raw("bad Adler-32", [&] {
    std::string z = zlib_stored("abc");
    z.back() = static_cast<char>(z.back() ^ 1);
    return entry_header_bytes(GIT_OBJECT_BLOB, 3) + z;
  }());
  bad_raw("header of 12 continuation bytes", std::string(1, '\xb3') + std::string(11, '\xff') + "\x01" + zlib_stored("abc"));
  {
    // OFS_DELTA entries with a base distance as given (a valid delta for the small base).
    const std::string delta = delta_header(36, 1) + copy_op(0, 1);
    auto with_field = [&](const std::string& field) {
      return entry_header_bytes(GIT_OBJECT_OFS_DELTA, delta.size()) + field + zlib_stored(delta);
    };
    bad_raw("OFS distance 0", with_field(std::string(1, '\0')));
    bad_raw("OFS base before the first entry", with_field(ofs_encoding(w.size() - 11)));
    bad_raw("OFS distance that overflows", with_field(std::string(11, '\xff') + "\x01"));
  }
  {
    const git_oid self = label_id("REF_DELTA to itself");
    cases.push_back({"REF_DELTA to itself", self, Status::corrupt, ""});
    w.ref(self, delta_header(36, 1) + copy_op(0, 1), self);
  }
  {
    const git_oid id = label_id("REF_DELTA to an id in no pack");
    cases.push_back({"REF_DELTA to an id in no pack", id, Status::missing, ""});
    w.ref(label_id("nowhere"), delta_header(36, 1) + copy_op(0, 1), id);
  }
  // Last: entries cut by the end of the pack's data.
  bad_raw("a header cut by the end", std::string(1, '\xb3') + std::string(3, '\xff'));
  const std::string pack = w.finish(scratch.dir() / "sum");
  install_pack(git_dir, "handmade", pack, w.index());

  auto check_cases = [&](std::size_t cache, bool backward) {
    PackStore store(git_dir);
    REQUIRE(store.packs() == 1);
    PackReader reader(store, cache);
    std::vector<PackReader::Object> kept;
    auto order = cases;
    if (backward) std::reverse(order.begin(), order.end());
    for (const auto& c : order) {
      INFO(c.name << ", cache " << cache << (backward ? ", backward" : ", forward"));
      auto got = reader.read(c.id);
      CHECK(got.status == c.status);
      if (c.status == Status::ok && got.status == Status::ok) {
        CHECK(got.data == c.bytes);
        CHECK(got.size == c.bytes.size());
        kept.push_back(std::move(got));
      }
      if (got.status == Status::corrupt) {
        INFO(got.error);
        CHECK(got.error.find("pack-handmade.pack at offset ") == 0);
      }
    }
    std::size_t k = 0;
    for (const auto& c : order)
      if (c.status == Status::ok && k < kept.size()) CHECK(kept[k++].data == c.bytes);
  };
  for (std::size_t cache : {std::size_t{0}, std::size_t{100}, std::size_t{48} << 20}) {
    check_cases(cache, false);
    check_cases(cache, true);
  }

  SECTION("too_large: whole, delta, and a delta that only states a huge result") {
    PackStore store(git_dir);
    PackReader reader(store);
    auto got = reader.read(large_id, 100);
    CHECK(got.status == Status::too_large);
    CHECK(got.size == large.size());
    got = reader.read(hash_of("abcdefghijXYZ012"), 15);
    CHECK(got.status == Status::too_large);
    CHECK(got.size == 16);
    got = reader.read(label_id("a result of 1 TiB"), 1000);
    CHECK(got.status == Status::too_large);  // the delta is not applied: its header is all it reads
    CHECK(got.size == std::uint64_t{1} << 40);
    got = reader.read(hash_of("abcdefghijXYZ012"), 16);
    REQUIRE(got.status == Status::ok);
    CHECK(got.data == "abcdefghijXYZ012");
  }

  SECTION("the same pack indexed with 8-byte offsets") {
    install_pack(git_dir, "handmade", pack, w.index(true));
    check_cases(std::size_t{48} << 20, false);
  }

  SECTION("index entries that point nowhere are missing") {
    // Entries 0-2 (by id): an 8-byte offset index past the table, an offset inside the header, past the data.
    const std::size_t pack_size = pack.size();
    install_pack(git_dir, "handmade", pack,
                 PackWriter::index(w.objects(), false,
                                   {{0, 0x80000005u}, {1, 5u}, {2, static_cast<std::uint32_t>(pack_size - 20)}}));
    auto sorted = w.objects();
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return std::memcmp(a.first.id, b.first.id, 20) < 0; });
    PackStore store(git_dir);
    REQUIRE(store.packs() == 1);
    PackReader reader(store);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK_FALSE(store.find(sorted[i].first).has_value());
      CHECK(reader.read(sorted[i].first).status == Status::missing);
    }
    CHECK(store.find(sorted[3].first).has_value());
  }

  SECTION("a REF_DELTA whose base is in another pack") {
    PackWriter second;
    const std::string result = small.substr(0, 10) + "++";
    const git_oid id = hash_of(result);
    second.ref(small_id, delta_header(36, 12) + copy_op(0, 10) + insert_op("++"), id);
    install_pack(git_dir, "second", second.finish(scratch.dir() / "sum"), second.index());
    PackStore store(git_dir);
    REQUIRE(store.packs() == 2);
    const auto where = store.find(id);
    REQUIRE(where.has_value());
    CHECK(where->pack == 1);  // "pack-second" sorts after "pack-handmade"
    PackReader reader(store);
    const auto got = reader.read(id);
    REQUIRE(got.status == Status::ok);
    CHECK(got.data == result);
  }

  SECTION("git and libgit2 agree on the valid entries") {
    // A pack of only the valid entries, indexed by git itself (which resolves every delta and
    // checks every id), then read by PackReader and by libgit2.
    PackWriter valid;
    std::vector<Case> good;
    const std::uint64_t s = valid.whole(GIT_OBJECT_BLOB, small);
    const std::uint64_t l = valid.whole(GIT_OBJECT_BLOB, large);
    auto add = [&](std::uint64_t base, const std::string& delta, const std::string& result) {
      good.push_back({"", hash_of(result), Status::ok, result});
      return valid.ofs(base, delta, hash_of(result));
    };
    add(s, delta_header(36, 16) + copy_op(10, 10) + insert_op("XYZ") + copy_op(0, 3), "abcdefghijXYZ012");
    add(l, delta_header(large.size(), 0x10002) + copy_op(0, 0x10000) + insert_op("!!"), large.substr(0, 0x10000) + "!!");
    add(l, delta_header(large.size(), 0x010101) + copy_op(0x0100, 0x010101), large.substr(0x100, 0x010101));
    const std::string ref_result = "zyx" + small.substr(30);
    good.push_back({"", hash_of(ref_result), Status::ok, ref_result});
    valid.ref(small_id, delta_header(36, 9) + insert_op("zyx") + copy_op(30, 6), hash_of(ref_result));
    good.push_back({"", small_id, Status::ok, small});
    good.push_back({"", large_id, Status::ok, large});

    Scratch other("handmade-valid");
    GitRepo bare(other.dir() / "repo.git");
    fs::create_directories(bare.dir());
    bare.git("init -q --bare .");
    const fs::path pack_file = bare.dir() / "objects" / "pack" / "pack-valid.pack";
    spit(pack_file, valid.finish(other.dir() / "sum"));
    bare.git("index-pack -o objects/pack/pack-valid.idx objects/pack/pack-valid.pack");
    PackStore store(bare.dir());
    REQUIRE(store.packs() == 1);
    PackReader reader(store);
    RepositoryPtr handle = open_repository(bare.dir().string());
    git_odb* raw = nullptr;
    REQUIRE(git_repository_odb(&raw, handle.get()) == 0);
    OdbPtr odb(raw);
    for (const auto& c : good) {
      INFO("object " << to_hex(c.id));
      const auto got = reader.read(c.id);
      REQUIRE(got.status == Status::ok);
      CHECK(got.data == c.bytes);
      git_odb_object* obj = nullptr;
      REQUIRE(git_odb_read(&obj, odb.get(), &c.id) == 0);
      OdbObjectPtr owned(obj);
      CHECK(std::string_view(static_cast<const char*>(git_odb_object_data(obj)), git_odb_object_size(obj)) == c.bytes);
    }
  }
}

// A delta whose header ends inside (or before) its result size: the header is read within the
// delta's bytes (it was once read past them, by the length of the base size).
TEST_CASE("PackReader reads a delta's result size within the delta", "[pack_reader]") {
  Scratch scratch("bug-varint");
  const std::string small = "0123456789abcdefghijklmnopqrstuvwxyz";
  PackWriter w;
  const std::uint64_t base = w.whole(GIT_OBJECT_BLOB, small);
  const std::vector<std::pair<std::string, std::string>> deltas{
      {"a base size and nothing else", varint(36)},
      {"a result size cut after one byte", varint(36) + "\x80"},
      {"a result size cut after two bytes", varint(36) + "\x80\x80"},
  };
  for (const auto& [name, delta] : deltas) w.ofs(base, delta, label_id(name));
  install_pack(scratch.dir(), "bug", w.finish(scratch.dir() / "sum"), w.index());
  PackStore store(scratch.dir());
  REQUIRE(store.packs() == 1);
  for (const auto& [name, delta] : deltas) {
    INFO(name);
    PackReader reader(store);
    const auto got = reader.read(label_id(name));
    CHECK(got.status == Status::corrupt);
    const auto limited = reader.read(label_id(name), 0);
    INFO("with a limit of 0 bytes: status " << static_cast<int>(limited.status) << ", size " << limited.size);
    CHECK(limited.status == Status::corrupt);
  }
}

// =============================================================================================
// RawTree and TreeSource

TEST_CASE("RawTree parses every tree of a repository as libgit2 does", "[pack_reader][raw_tree]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  RepositoryPtr repo = open_repository(f.repo.git_dir().string());
  PackStore store(f.repo.git_dir());
  PackReader reader(store, 4096);
  std::size_t trees = 0;
  std::map<git_filemode_t, std::size_t> modes;
  std::vector<RawTreePtr> kept;
  for (const auto& o : f.objects) {
    if (o.type != GIT_OBJECT_TREE) continue;
    ++trees;
    INFO("tree " << o.hex);
    auto obj = reader.read(o.id);
    REQUIRE(obj.status == Status::ok);
    std::string error;
    auto raw = RawTree::parse(o.id, obj.owner, obj.data, error);
    REQUIRE(raw);
    CHECK(error.empty());
    CHECK(git_oid_equal(&raw->id(), &o.id));
    TreePtr tree = lookup_tree(repo.get(), o.id);
    check_same_tree(*raw, tree.get());
    for (const auto& e : raw->entries()) ++modes[e.filemode()];
    // git writes entries in tree order.
    for (std::size_t i = 1; i < raw->entries().size(); ++i) CHECK(RawTree::compare(raw->entries()[i - 1], raw->entries()[i]) < 0);
    kept.push_back(std::move(raw));
  }
  CHECK(trees >= 50);
  for (auto m : {GIT_FILEMODE_TREE, GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE, GIT_FILEMODE_LINK, GIT_FILEMODE_COMMIT})
    CHECK(modes[m] >= 1);
  // The entries still point at intact bytes: each tree keeps its buffer alive (the cache held 4 KiB).
  for (const auto& raw : kept) {
    TreePtr tree = lookup_tree(repo.get(), raw->id());
    check_same_tree(*raw, tree.get());
  }
}

namespace {

/// The tree of `bytes`, written as a loose object of `repo`, parsed by RawTree and checked against
/// libgit2's reading of it (the bytes must outlive the result).
std::unique_ptr<RawTree> parsed_like_libgit2(git_repository* repo, const std::string& bytes) {
  const git_oid id = write_loose(repo, bytes, GIT_OBJECT_TREE);
  TreePtr tree = lookup_tree(repo, id);
  std::string error;
  auto raw = RawTree::parse(id, nullptr, bytes, error);
  REQUIRE(raw);
  check_same_tree(*raw, tree.get());
  return raw;
}

}  // namespace

TEST_CASE("RawTree::compare orders entries as git_tree_entry_cmp", "[pack_reader][raw_tree]") {
  NEED_GIT();
  Bare bare("compare");
  const RepositoryPtr& handle = bare.handle;
  const git_oid blob = hash_of("x");
  const git_oid tree_id = hash_of("", GIT_OBJECT_TREE);
  const std::vector<std::string> names{"a",  "a.b", "a-b", "a.c", "ab", "a0", "b", "A", "a b", "a~", "a_",
                                       "\xc3\xa9t\xc3\xa9", "\x80", "\xff", "a\x80", "a\xff", "ab\x7f", "z", ".", "-"};
  TreeBytes bytes;
  for (const auto& name : names) {
    bytes.add("100644", name, blob);
    bytes.add("40000", name, tree_id);
  }
  bytes.add("160000", "a", blob);  // a submodule sorts as a file
  bytes.add("120000", "a", blob);
  bytes.add("100755", "a.b", blob);
  auto raw = parsed_like_libgit2(handle.get(), bytes.bytes);
  TreePtr tree = lookup_tree(handle.get(), raw->id());
  const auto& entries = raw->entries();
  std::size_t pairs = 0, equal = 0;
  for (std::size_t i = 0; i < entries.size(); ++i)
    for (std::size_t j = 0; j < entries.size(); ++j) {
      const int want = sign(git_tree_entry_cmp(git_tree_entry_byindex(tree.get(), i), git_tree_entry_byindex(tree.get(), j)));
      INFO("'" << entries[i].name << "' (" << std::oct << entries[i].mode << ") vs '" << entries[j].name << "' ("
               << entries[j].mode << ")");
      CHECK(sign(RawTree::compare(entries[i], entries[j])) == want);
      ++pairs;
      equal += want == 0;
    }
  CHECK(pairs >= 1600);
  CHECK(equal > entries.size());  // same name and kind: 0 (the submodule and the symlink equal the file "a")

  // Spot checks of the rule itself.
  auto entry = [&](std::string_view name, std::uint32_t mode) {
    RawTree::Entry e;
    e.name = name;
    e.mode = mode;
    e.id = &blob;
    return e;
  };
  CHECK(RawTree::compare(entry("a.b", 0100644), entry("a", 040000)) < 0);  // '.' < '/'
  CHECK(RawTree::compare(entry("a", 040000), entry("a0", 0100644)) < 0);   // '/' < '0'
  CHECK(RawTree::compare(entry("a", 0100644), entry("a.b", 0100644)) < 0);
  CHECK(RawTree::compare(entry("a", 0100644), entry("a", 040000)) < 0);
  CHECK(RawTree::compare(entry("a", 0160000), entry("a", 040000)) < 0);
  CHECK(RawTree::compare(entry("\xff", 0100644), entry("z", 0100644)) > 0);  // bytes compare unsigned
  CHECK(RawTree::compare(entry("a", 0100644), entry("a", 0100755)) == 0);
}

TEST_CASE("RawTree reads modes as git_tree_entry_type and git_tree_entry_filemode", "[pack_reader][raw_tree]") {
  NEED_GIT();
  Bare bare("modes");
  const RepositoryPtr& handle = bare.handle;
  const git_oid blob = write_loose(handle.get(), "content\n", GIT_OBJECT_BLOB);
  const git_oid empty_tree = write_loose(handle.get(), "", GIT_OBJECT_TREE);

  SECTION("legacy modes written by git mktree") {
    const std::string b = to_hex(blob), t = to_hex(empty_tree);
    const std::string input = "100664 blob " + b + "\tgroup-writable\n" + "100775 blob " + b + "\tgroup-exec\n" +
                              "100600 blob " + b + "\tprivate\n" + "100700 blob " + b + "\tprivate-exec\n" +
                              "40755 tree " + t + "\tdir-exec\n" + "120755 blob " + b + "\tlink-exec\n" +
                              "160000 commit 0123456789abcdef0123456789abcdef01234567\tmodule\n" + "100644 blob " + b + "\tplain\n";
    spit(bare.scratch.dir() / "mktree.txt", input);
    const std::string hex = bare.repo.git("mktree --missing < '" + (bare.scratch.dir() / "mktree.txt").string() + "'");
    const git_oid id = oid(hex);
    TreeSource source(handle.get(), 1 << 20);
    auto raw = source.tree(id);
    REQUIRE(raw);
    TreePtr tree = lookup_tree(handle.get(), id);
    check_same_tree(*raw, tree.get());
    std::map<std::string, std::uint32_t> stored;
    for (const auto& e : raw->entries()) stored[std::string(e.name)] = e.mode;
    CHECK(stored.at("group-writable") == 0100664);  // kept as written
    CHECK(stored.at("dir-exec") == 040755);
  }

  SECTION("modes written byte for byte") {
    // Every mode libgit2 accepts a tree with (up to 0177777), in the forms seen in old repositories.
    const std::vector<std::string> modes{"100644", "100755", "100664", "100600", "100775", "100000", "100744", "100711",
                                         "120000", "120644", "120755", "160000", "160644", "160755", "40000",  "040000",
                                         "40755",  "040755", "40644", "0100644", "0100755", "0120000", "0160000", "644",
                                         "755",    "0",      "170000", "140000", "60000", "20000",  "10000",  "100",
                                         "177777", "0040000", "30000",  "130000", "150000", "110755",
                                         "41000", "42000", "44000", "47777", "121000", "161000", "101644"};
    TreeBytes bytes;
    for (std::size_t i = 0; i < modes.size(); ++i)
      bytes.add(modes[i], "entry" + std::to_string(100 + i), modes[i].find("40") == 0 || modes[i].find("040") == 0 ? empty_tree : blob);
    parsed_like_libgit2(handle.get(), bytes.bytes);
  }
}

TEST_CASE("RawTree refuses malformed trees, as libgit2 does", "[pack_reader][raw_tree]") {
  NEED_GIT();
  Bare bare("malformed");
  const RepositoryPtr& handle = bare.handle;
  const std::string id20(20, '\x11');
  const std::string good = std::string("100644 ok") + '\0' + id20;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"missing space", std::string("100644name") + '\0' + id20},
      {"non-octal mode", std::string("100648 name") + '\0' + id20},
      {"letters in the mode", std::string("10064x name") + '\0' + id20},
      {"no mode", std::string(" name") + '\0' + id20},
      {"a name with no NUL", std::string("100644 name") + id20},
      {"a name with no NUL and no id", "100644 name"},
      {"an id cut short", std::string("100644 name") + '\0' + id20.substr(0, 19)},
      {"no id", std::string("100644 name") + '\0'},
      {"an empty name", std::string("100644 ") + '\0' + id20},
      {"only a mode", "100644"},
      {"only a mode and a space", "100644 "},
      {"a mode above 0177777", std::string("10000644 name") + '\0' + id20},
      {"a negative mode", std::string("-100644 name") + '\0' + id20},
      {"a second entry cut short", good + "1"},
      {"a second entry with no id", good + "100644 b" + '\0'},
  };
  for (const auto& [name, bytes] : cases) {
    INFO(name);
    const git_oid id = write_loose(handle.get(), bytes, GIT_OBJECT_TREE);
    std::string error;
    CHECK_FALSE(RawTree::parse(id, nullptr, bytes, error));
    CHECK_FALSE(error.empty());
    CHECK(error.find(to_hex(id)) != std::string::npos);
    git_tree* tree = nullptr;
    CHECK(git_tree_lookup(&tree, handle.get(), &id) < 0);  // libgit2 refuses it too
    git_tree_free(tree);
    TreeSource source(handle.get(), 1 << 20);
    CHECK_FALSE(source.tree(id));
    CHECK_FALSE(source.error().empty());
  }
  // An empty tree is a tree.
  std::string error;
  auto empty = RawTree::parse(hash_of("", GIT_OBJECT_TREE), nullptr, "", error);
  REQUIRE(empty);
  CHECK(empty->entries().empty());
  CHECK(error.empty());
}

TEST_CASE("TreeSource reads packed and loose trees as libgit2 does, and refuses what is no tree",
          "[pack_reader][raw_tree]") {
  NEED_GIT();
  Scratch scratch("treesource");
  GitRepo repo(scratch.dir() / "repo");
  fs::copy(ofs_fixture().repo.dir(), repo.dir(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  repo.git("rm -q --cached vendor/module");
  repo.write("fresh/new.txt", "new file\n");
  repo.write("docs/big1.txt", slurp(repo.dir() / "docs/big1.txt") + "appended\n");
  repo.commit("loose commit");
  const auto objects = all_objects(repo);
  RepositoryPtr handle = open_repository(repo.git_dir().string());
  PackStore store(repo.git_dir());
  REQUIRE(store.packs() == 1);

  std::size_t packed_trees = 0, loose_trees = 0;
  std::vector<RawTreePtr> kept;
  TreeSource source(handle.get(), 1);  // no cache: every tree keeps its own buffer
  for (const auto& o : objects) {
    if (o.type != GIT_OBJECT_TREE) continue;
    INFO("tree " << o.hex);
    (store.find(o.id) ? packed_trees : loose_trees)++;
    auto raw = source.tree(o.id);
    REQUIRE(raw);
    CHECK(git_oid_equal(&raw->id(), &o.id));
    TreePtr tree = lookup_tree(handle.get(), o.id);
    check_same_tree(*raw, tree.get());
    // The same as parsing libgit2's bytes.
    std::string error;
    auto from_bytes = RawTree::parse(o.id, nullptr, o.bytes, error);
    REQUIRE(from_bytes);
    REQUIRE(from_bytes->entries().size() == raw->entries().size());
    for (std::size_t i = 0; i < raw->entries().size(); ++i) {
      CHECK(from_bytes->entries()[i].name == raw->entries()[i].name);
      CHECK(from_bytes->entries()[i].mode == raw->entries()[i].mode);
    }
    kept.push_back(std::move(raw));
  }
  CHECK(packed_trees >= 50);
  CHECK(loose_trees >= 3);  // the root, docs/ and fresh/
  for (const auto& raw : kept) check_same_tree(*raw, lookup_tree(handle.get(), raw->id()).get());

  std::size_t refused = 0;
  for (const auto& o : objects) {
    if (o.type == GIT_OBJECT_TREE) continue;
    const bool packed = store.find(o.id).has_value();
    if (refused > 40 && packed) continue;
    INFO(git_object_type2string(o.type) << " " << o.hex << (packed ? " (packed)" : " (loose)"));
    CHECK_FALSE(source.tree(o.id));
    CHECK(source.error() == o.hex + " is not a tree");
    ++refused;
  }
  CHECK(refused >= 43);

  const git_oid nowhere = oid("0123456789abcdef0123456789abcdef01234567");
  CHECK_FALSE(source.tree(nowhere));
  CHECK_FALSE(source.error().empty());
  CHECK(source.error().find("not a tree") == std::string::npos);
}

TEST_CASE("TreeSource in a linked worktree reads the trees of the shared repository", "[pack_reader][raw_tree]") {
  NEED_GIT();
  const Fixture& f = ofs_fixture();
  Scratch scratch("worktree");
  GitRepo repo(scratch.dir() / "repo");
  fs::copy(f.repo.dir(), repo.dir(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  repo.git("worktree add -q ../linked -b linked");
  RepositoryPtr handle = open_repository((scratch.dir() / "linked").string());
  // Its git dir (.git/worktrees/linked) has no objects of its own: the packs are the shared ones.
  CHECK(PackStore(git_repository_path(handle.get())).packs() == 1);
  TreeSource source(handle.get(), std::size_t{1} << 20);
  std::size_t trees = 0;
  for (const auto& o : f.objects) {
    if (o.type != GIT_OBJECT_TREE) continue;
    INFO("tree " << o.hex);
    auto raw = source.tree(o.id);
    REQUIRE(raw);
    check_same_tree(*raw, lookup_tree(handle.get(), o.id).get());
    ++trees;
  }
  CHECK(trees >= 50);
}
