#include "agent/util/yaml_guard.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>

#include "agent/util/error.h"

using agent::util::load_yaml;
using agent::util::UsageError;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("a NUL byte in YAML is refused with its position, not read as the end (fuzz regression)") {
  // yaml-cpp stops at a NUL: "ignores:" after it would have been silently dropped.
  const std::string text = std::string("a: 1\n  \0# hidden\n", 17) + "ignores:\n  - fingerprint: x\n";
  CHECK_THROWS_WITH(load_yaml(text, "ignores.yml"), ContainsSubstring("ignores.yml:2:3: invalid YAML: a NUL byte"));
  CHECK_THROWS_AS(load_yaml(std::string("\0", 1), "x.yml"), UsageError);
  CHECK(load_yaml("a: 1\n", "x.yml")["a"].as<int>() == 1);
}

TEST_CASE("a quoted string left open is refused, not run to the end of the file (fuzz regression)") {
  // yaml-cpp ends an unclosed quoted scalar at the end of the input: the entries below it (or an
  // entry appended by `ignore add`) would silently become part of the comment.
  CHECK_THROWS_WITH(load_yaml("ignores:\n  - rule: x\n    comment: \"open\n  - rule: y\n", "i.yml"),
                    ContainsSubstring("i.yml:3:14: invalid YAML: a quoted string is not closed"));
  CHECK_THROWS_AS(load_yaml("a: 'it''s\n", "x.yml"), UsageError);
  CHECK(load_yaml("a: 'it''s'\n", "x.yml")["a"].as<std::string>() == "it's");
  CHECK(load_yaml("a: \"x\\\"y\"\n", "x.yml")["a"].as<std::string>() == "x\"y");
  CHECK(load_yaml("a: \"two\n  lines\"\nb: |\n  \"open\n", "x.yml")["b"].as<std::string>() == "\"open\n");
  CHECK(load_yaml("- \"x\"\n- 'y'\n", "x.yml").size() == 2);
}

TEST_CASE("a document starting with ',' is refused, not read as empty (fuzz regression)") {
  // yaml-cpp reads ",\nignores: [...]" as a null document: the list below would silently vanish
  // (and `ignore add` appended to a list nobody reads).
  CHECK_THROWS_WITH(load_yaml(",\nignores:\n  - fingerprint: x\n", "ignores.yml"),
                    ContainsSubstring("ignores.yml:1:1: invalid YAML: a value cannot start with ','"));
  CHECK_THROWS_WITH(load_yaml("# header\n\n  ,x\nignores:\n", "i.yml"), ContainsSubstring("i.yml:3:3:"));
  CHECK_THROWS_WITH(load_yaml("%YAML 1.2\n--- # c\n,\n", "i.yml"), ContainsSubstring("i.yml:3:1:"));
  CHECK_THROWS_WITH(load_yaml("--- ,x\n", "i.yml"), ContainsSubstring("i.yml:1:5:"));
  // A ',' later in a document is yaml-cpp's own business (it reports those), and flow lists work.
  CHECK(load_yaml("a: [1, 2]\nb: 'x, y'\n", "x.yml")["a"].size() == 2);
  CHECK(load_yaml("# only, a comment\n", "x.yml").IsNull());
}
