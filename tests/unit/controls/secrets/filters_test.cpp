#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>

#include <hs/hs.h>

#include "agent/controls/secrets/entropy.h"
#include "agent/controls/secrets/fingerprint.h"
#include "agent/controls/secrets/pattern.h"
#include "agent/controls/secrets/placeholder.h"

using namespace agent::controls::secrets;
using Catch::Approx;

TEST_CASE("Shannon entropy in bits per character", "[entropy]") {
  CHECK(shannon_entropy("") == 0);
  CHECK(shannon_entropy("aaaaaaaa") == 0);
  CHECK(shannon_entropy("ab") == Approx(1.0));
  CHECK(shannon_entropy("abcd") == Approx(2.0));
  CHECK(shannon_entropy("0123456789abcdef") == Approx(4.0));
  CHECK(shannon_entropy("Xk9pQ2rT7vB4nM8sL1wZ") > 4.0);
  CHECK(shannon_entropy("password") < 3.0);
}

TEST_CASE("placeholders, templates and masks are recognised", "[placeholder]") {
  for (const char* p : {"${DB_PASSWORD}", "{{ token }}", "{{.Token}}", "$TOKEN", "$api_key", "%API_KEY%",
                        "<your-token>", "<YOUR_API_KEY>", "{password}", "%(password)s", "#{secret}",
                        "process.env.API_KEY", "os.environ['X']", "changeme", "CHANGEME", "change_me",
                        "xxxxxxxxxxxx", "XXXX-XXXX", "********", "sk_live_...", "AKIAIOSFODNN7EXAMPLE",
                        "dummy-token-123", "your_api_key_here", "my-placeholder", "password", "Secret", "null",
                        "\"\"", "''", "aaaaaaaaaa", "abababababab", "00000000", "redacted", "12345678abc",
                        "tt_zzzzzzzzzzzz", "glpat-aaaaaaaaaaaaaaaaaaab"}) {
    INFO(p);
    CHECK(is_placeholder(p));
  }
  for (const char* s : {"Xk9pQ2rT7vB4nM8sL1wZ", "hunter2Xy9!z", "s3cr3t-Value", "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",
                        "correct-horse-battery-staple", "$9abcdefG", "AKIAZ3MSJV4WXVN7K5Q2",
                        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"}) {
    INFO(s);
    CHECK_FALSE(is_placeholder(s));
  }
}

TEST_CASE("fingerprints depend on rule, path and secret, not on position", "[fingerprint]") {
  const std::string sha = std::string(64, 'a');
  auto base = secret_fingerprint("rule", "a/b.env", sha, 0);
  CHECK(base.size() == 64);
  CHECK(base == secret_fingerprint("rule", "a/b.env", sha, 0));
  CHECK(base != secret_fingerprint("other", "a/b.env", sha, 0));
  CHECK(base != secret_fingerprint("rule", "a/c.env", sha, 0));
  CHECK(base != secret_fingerprint("rule", "a/b.env", std::string(64, 'b'), 0));
  CHECK(base != secret_fingerprint("rule", "a/b.env", sha, 1));
  CHECK(secret_fingerprint("rule", "a/b.env", sha, 1) != secret_fingerprint("rule", "a/b.env", sha, 2));
  // Separators keep ("ab", "c") and ("a", "bc") apart.
  CHECK(secret_fingerprint("ab", "c", sha, 0) != secret_fingerprint("a", "bc", sha, 0));
}

TEST_CASE("patterns are translated for Vectorscan", "[pattern]") {
  auto e = hs_expression(R"((?i)\b(?P<secret>glpat-[0-9a-z(?P<]{20}))");
  CHECK(e.expression == R"(\b(glpat-[0-9a-z(?P<]{20}))");
  CHECK(e.flags == (HS_FLAG_MULTILINE | HS_FLAG_CASELESS));
  CHECK(hs_expression(R"((?<name>a)\(?P<b>)").expression == R"((a)\(?P<b>)");
  CHECK(hs_expression("(?s)a.b").flags == (HS_FLAG_MULTILINE | HS_FLAG_DOTALL));
  CHECK(hs_expression("(?U)a+").expression == "(?U)a+");  // not ours to translate: Vectorscan rejects it
  CHECK(hs_expression("[[:alpha:](]x").expression == "[[:alpha:](]x");
  CHECK(hs_check(hs_expression("abc(def)")).error.empty());
  CHECK_FALSE(hs_check(hs_expression("abc(def)")).prefilter);
  CHECK_FALSE(hs_check(hs_expression("(?U)a+")).error.empty());
  CHECK(hs_check(hs_expression("a*")).error == "the pattern can match an empty string");
  // Back-references: Vectorscan takes them only as a prefilter (RE2 itself would refuse them).
  HsCheck backref = hs_check(hs_expression("(a)\\1"));
  CHECK(backref.error.empty());
  CHECK(backref.prefilter);
  RE2 named(re2_pattern("(x)(?P<secret>y)"), re2_options());
  auto trimmed = [](std::string_view pattern) -> std::string {
    auto t = hs_trimmed(hs_expression(pattern));
    return t ? t->expression.expression + " +" + std::to_string(t->slack) : "-";
  };
  // A final bounded repeat of one character, then closing parentheses and a boundary.
  CHECK(trimmed(R"(\b(?P<secret>[0-9]{15,16}(?:\||%7[Cc])[0-9A-Za-z_-]{27,32})(?:[^0-9A-Za-z_-]|$))") ==
        R"(\b([0-9]{15,16}(?:\||%7[Cc])[0-9A-Za-z_-]{27}) +6)");
  CHECK(trimmed(R"(\bSK[0-9a-f]{32,34}\b)") == R"(\bSK[0-9a-f]{32} +3)");
  CHECK(trimmed(R"(key=(?:a|\w{4,8})$)") == R"(key=(?:a|\w{4}) +5)");
  CHECK(trimmed(R"((?i:tok)_\x41{2,5}(?:$|[^A]))") == R"((?i:tok)_\x41{2} +4)");
  // Else a one-byte boundary that may also be the line's end.
  CHECK(trimmed(R"((?:^|[^a-z])([a-z]{6}\.[a-z]{6}:[a-z]{43})(?:[^a-z]|$))") == R"((?:^|[^a-z])([a-z]{6}\.[a-z]{6}:[a-z]{43}) +1)");
  CHECK(trimmed(R"(tok_[a-z]+(?:$|[^a-z]))") == R"(tok_[a-z]+ +1)");
  CHECK(hs_trimmed(hs_expression("(?i)abc[a-z]{3,9}"))->expression.flags == (HS_FLAG_MULTILINE | HS_FLAG_CASELESS));
  // Not trimmed: a fixed repeat, a lazy or unbounded one, a repeated group, something after the
  // repeat that must match, a one-byte boundary that is not optional at the line's end, a zero
  // lower bound, \Q...\E.
  for (const char* p : {R"(ab[0-9]{32}\b)", R"(ab[0-9]{3,9}?\b)", R"(ab[0-9]{3,}\b)", R"(a(?:bc){2,3}\b)",
                        R"(ab[0-9]{3,9}x)", R"(ab[0-9]{3,9}[^0-9])", R"(ab[0-9]{3,9}(?:[^0-9]|x))", R"(ab[0-9]{0,9}\b)",
                        R"(ab[0-9]{3,9}(?:[^0-9]|$)+)", R"(\Qa{\E[0-9]{3,9})", R"(ab\b{2,3})",
                        // unclosed or odd braces are literal text, and end the tokens safely
                        "a{3,x", "a{3,", "a{3,,", "a{3,,}", "a{", "a{3", R"(a\x{41)", "a{3,5x"}) {
    INFO(p);
    CHECK(trimmed(p) == "-");
  }

  CHECK(secret_group(named) == 2);
  RE2 first(re2_pattern("(x)(y)"), re2_options());
  CHECK(secret_group(first) == 1);
  RE2 none(re2_pattern("xy"), re2_options());
  CHECK(secret_group(none) == 0);
}
