#include "agent/controls/secrets/regex_example.h"

#include <bitset>
#include <cctype>
#include <memory>
#include <random>
#include <vector>

namespace agent::controls::secrets {
namespace {

using CharSet = std::bitset<256>;

struct Node {
  enum class Kind { set, seq, alt, repeat, empty } kind = Kind::empty;
  CharSet set;
  std::vector<std::unique_ptr<Node>> kids;
  int min = 0, max = 0;  // repeat; max < 0: unbounded
};
using NodePtr = std::unique_ptr<Node>;

struct Unsupported {};

CharSet range(int lo, int hi) {
  CharSet s;
  for (int c = lo; c <= hi; ++c) s.set(static_cast<std::size_t>(c));
  return s;
}
CharSet digits() { return range('0', '9'); }
CharSet word() { return range('a', 'z') | range('A', 'Z') | digits() | range('_', '_'); }
CharSet space() {
  CharSet s;
  for (char c : std::string_view(" \t\n\r\f\v")) s.set(static_cast<unsigned char>(c));
  return s;
}
CharSet all_but_newline() { return ~range('\n', '\n'); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view re) : re_(re) {}

  NodePtr parse() {
    NodePtr n = alternation();
    if (pos_ < re_.size()) throw Unsupported{};
    return n;
  }

 private:
  bool more() const { return pos_ < re_.size(); }
  char peek() const { return re_[pos_]; }

  NodePtr alternation() {
    auto alt = std::make_unique<Node>();
    alt->kind = Node::Kind::alt;
    alt->kids.push_back(sequence());
    while (more() && peek() == '|') {
      ++pos_;
      alt->kids.push_back(sequence());
    }
    if (alt->kids.size() == 1) return std::move(alt->kids[0]);
    return alt;
  }

  NodePtr sequence() {
    auto seq = std::make_unique<Node>();
    seq->kind = Node::Kind::seq;
    while (more() && peek() != '|' && peek() != ')') {
      NodePtr atom_node = atom();
      if (!atom_node) continue;
      seq->kids.push_back(quantified(std::move(atom_node)));
    }
    return seq;
  }

  NodePtr quantified(NodePtr a) {
    while (more()) {
      int lo = 0, hi = 0;
      const char c = peek();
      if (c == '*') lo = 0, hi = -1, ++pos_;
      else if (c == '+') lo = 1, hi = -1, ++pos_;
      else if (c == '?') lo = 0, hi = 1, ++pos_;
      else if (c == '{') {
        std::size_t p = pos_ + 1;
        auto number = [&](int& out) {
          std::size_t s = p;
          out = 0;
          while (p < re_.size() && std::isdigit(static_cast<unsigned char>(re_[p]))) out = out * 10 + (re_[p++] - '0');
          return p > s;
        };
        if (!number(lo)) return a;  // a literal '{'
        hi = lo;
        if (p < re_.size() && re_[p] == ',') {
          ++p;
          if (!number(hi)) hi = -1;
        }
        if (p >= re_.size() || re_[p] != '}') return a;
        pos_ = p + 1;
      } else {
        return a;
      }
      if (more() && (peek() == '?' || peek() == '+')) ++pos_;  // lazy / possessive: same strings
      auto r = std::make_unique<Node>();
      r->kind = Node::Kind::repeat;
      r->min = lo;
      r->max = hi;
      r->kids.push_back(std::move(a));
      a = std::move(r);
    }
    return a;
  }

  static NodePtr set_node(const CharSet& s) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::set;
    n->set = s;
    return n;
  }
  static NodePtr empty() { return std::make_unique<Node>(); }

  // An escape outside a class: a set, or nullptr for an assertion.
  NodePtr escape() {
    if (!more()) throw Unsupported{};
    const char c = re_[pos_++];
    switch (c) {
      case 'd': return set_node(digits());
      case 'D': return set_node(~digits());
      case 'w': return set_node(word());
      case 'W': return set_node(~word());
      case 's': return set_node(space());
      case 'S': return set_node(~space());
      case 'b': case 'B': case 'A': case 'z': case 'Z': return empty();
      case 'p': case 'P': {  // unicode classes: letters stand in for them
        if (more() && peek() == '{') {
          while (more() && peek() != '}') ++pos_;
          ++pos_;
        } else {
          ++pos_;
        }
        return set_node(c == 'p' ? range('a', 'z') | range('A', 'Z') : digits());
      }
      default: {
        CharSet s;
        s.set(static_cast<unsigned char>(escaped_char(c)));
        return set_node(s);
      }
    }
  }

  // The character a simple escape stands for (after the backslash and `c`).
  char escaped_char(char c) {
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'a': return '\a';
      case 'x': {
        int v = 0;
        if (more() && peek() == '{') {
          ++pos_;
          while (more() && peek() != '}') {
            if (hexval(peek()) < 0) throw Unsupported{};
            v = v * 16 + hexval(re_[pos_++]);
          }
          ++pos_;
        } else {
          for (int i = 0; i < 2; ++i) {
            if (!more() || hexval(peek()) < 0) throw Unsupported{};
            v = v * 16 + hexval(re_[pos_++]);
          }
        }
        if (v > 255) throw Unsupported{};
        return static_cast<char>(v);
      }
      default:
        if (std::isalnum(static_cast<unsigned char>(c))) throw Unsupported{};  // \1, \k, \Q...
        return c;
    }
  }

  NodePtr atom() {
    const char c = re_[pos_++];
    switch (c) {
      case '^': case '$': return empty();
      case '.': return set_node(all_but_newline());
      case '\\': return escape();
      case '[': return set_node(char_class());
      case '(': return group();
      default: {
        CharSet s;
        s.set(static_cast<unsigned char>(c));
        return set_node(s);
      }
    }
  }

  NodePtr group() {
    if (more() && peek() == '?') {
      ++pos_;
      if (more() && (peek() == 'P' || peek() == '<')) {  // named group
        while (more() && peek() != '>') ++pos_;
        ++pos_;
      } else {
        // Flags: (?i) (?-s) (?i:...)
        while (more() && peek() != ')' && peek() != ':') ++pos_;
        if (!more()) throw Unsupported{};
        if (peek() == ')') {
          ++pos_;
          return nullptr;  // flags only
        }
        ++pos_;  // ':'
      }
    }
    NodePtr inner = alternation();
    if (!more() || peek() != ')') throw Unsupported{};
    ++pos_;
    return inner;
  }

  CharSet char_class() {
    CharSet s;
    bool negate = false;
    if (more() && peek() == '^') negate = true, ++pos_;
    bool first = true;
    while (more() && (peek() != ']' || first)) {
      first = false;
      if (peek() == '[' && pos_ + 1 < re_.size() && re_[pos_ + 1] == ':') {
        const std::size_t end = re_.find(":]", pos_ + 2);
        if (end == std::string_view::npos) throw Unsupported{};
        std::string_view name = re_.substr(pos_ + 2, end - pos_ - 2);
        pos_ = end + 2;
        bool neg = !name.empty() && name[0] == '^';
        if (neg) name.remove_prefix(1);
        CharSet p;
        if (name == "alnum") p = range('a', 'z') | range('A', 'Z') | digits();
        else if (name == "alpha") p = range('a', 'z') | range('A', 'Z');
        else if (name == "digit") p = digits();
        else if (name == "xdigit") p = digits() | range('a', 'f') | range('A', 'F');
        else if (name == "lower") p = range('a', 'z');
        else if (name == "upper") p = range('A', 'Z');
        else if (name == "space") p = space();
        else if (name == "word") p = word();
        else if (name == "punct") p = range('!', '/') | range(':', '@') | range('[', '`') | range('{', '~');
        else if (name == "print") p = range(' ', '~');
        else if (name == "graph") p = range('!', '~');
        else throw Unsupported{};
        s |= neg ? ~p : p;
        continue;
      }
      int lo;
      if (peek() == '\\') {
        ++pos_;
        if (!more()) throw Unsupported{};
        const char e = re_[pos_++];
        if (e == 'd') { s |= digits(); continue; }
        if (e == 'D') { s |= ~digits(); continue; }
        if (e == 'w') { s |= word(); continue; }
        if (e == 'W') { s |= ~word(); continue; }
        if (e == 's') { s |= space(); continue; }
        if (e == 'S') { s |= ~space(); continue; }
        if (e == 'p' || e == 'P') {
          if (more() && peek() == '{') {
            while (more() && peek() != '}') ++pos_;
          }
          ++pos_;
          s |= range('a', 'z') | range('A', 'Z');
          continue;
        }
        lo = static_cast<unsigned char>(escaped_char(e));
      } else {
        lo = static_cast<unsigned char>(re_[pos_++]);
      }
      int hi = lo;
      if (pos_ + 1 < re_.size() && peek() == '-' && re_[pos_ + 1] != ']') {
        ++pos_;
        if (peek() == '\\') {
          ++pos_;
          if (!more()) throw Unsupported{};
          hi = static_cast<unsigned char>(escaped_char(re_[pos_++]));
        } else {
          hi = static_cast<unsigned char>(re_[pos_++]);
        }
      }
      if (hi < lo) throw Unsupported{};
      s |= range(lo, hi);
    }
    if (!more()) throw Unsupported{};
    ++pos_;  // ']'
    return negate ? ~s : s;
  }

  std::string_view re_;
  std::size_t pos_ = 0;
};

class Generator {
 public:
  explicit Generator(unsigned attempt) : attempt_(attempt), rng_(0x5eed + attempt * 7919u) {}

  void run(const Node& n, std::string& out) {
    switch (n.kind) {
      case Node::Kind::empty: return;
      case Node::Kind::set: out += pick(n.set); return;
      case Node::Kind::seq:
        for (const auto& k : n.kids) run(*k, out);
        return;
      case Node::Kind::alt: {
        std::size_t i = attempt_ == 0 ? 0 : rng_() % n.kids.size();
        run(*n.kids[i], out);
        return;
      }
      case Node::Kind::repeat: {
        int lo = n.min, hi = n.max < 0 ? n.min + 24 : n.max;
        int count = lo;
        if (n.max < 0 && lo == 1 && attempt_ == 0) count = 16;  // `x+` holding a secret wants length
        if (attempt_ > 0 && hi > lo) count = lo + static_cast<int>(rng_() % static_cast<unsigned>(std::min(hi - lo, 24) + 1));
        for (int i = 0; i < count; ++i) run(*n.kids[0], out);
        return;
      }
    }
  }

 private:
  char pick(const CharSet& s) {
    // Letters and digits first (secrets need entropy), then other visible characters, then space.
    static const CharSet kAlnum = range('a', 'z') | range('A', 'Z') | range('0', '9');
    static const CharSet kVisible = range('!', '~');
    for (const CharSet* pref : {&kAlnum, &kVisible}) {
      CharSet c = s & *pref;
      if (c.any()) return nth(c, rng_() % c.count());
    }
    if (s.test(' ')) return ' ';
    if (s.none()) throw Unsupported{};
    return nth(s, rng_() % s.count());
  }
  static char nth(const CharSet& s, std::size_t k) {
    for (std::size_t c = 0; c < 256; ++c)
      if (s.test(c) && k-- == 0) return static_cast<char>(c);
    return 'a';
  }

  unsigned attempt_;
  std::mt19937 rng_;
};

}  // namespace

std::optional<std::string> regex_example(std::string_view regex, unsigned attempt) {
  try {
    NodePtr tree = Parser(regex).parse();
    std::string out;
    Generator(attempt).run(*tree, out);
    return out;
  } catch (const Unsupported&) {
    return std::nullopt;
  }
}

std::optional<std::string> name_secret_group(std::string_view regex, int n) {
  int count = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < regex.size() && regex[i + 1] == '^') ++i;
      if (i + 1 < regex.size() && regex[i + 1] == ']') ++i;  // a leading ']' is literal
      continue;
    }
    if (c != '(') continue;
    const bool named = regex.substr(i + 1, 3) == "?P<" || (regex.substr(i + 1, 2) == "?<" && regex.substr(i + 1, 3) != "?<=" && regex.substr(i + 1, 3) != "?<!");
    if (i + 1 < regex.size() && regex[i + 1] == '?' && !named) continue;
    if (++count != n) continue;
    std::string out(regex.substr(0, i + 1));
    std::size_t rest = i + 1;
    if (named) rest = regex.find('>', i) + 1;
    out += "?P<secret>";
    out += regex.substr(rest);
    return out;
  }
  return std::nullopt;
}

}  // namespace agent::controls::secrets
