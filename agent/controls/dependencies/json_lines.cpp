#include "agent/controls/dependencies/json_lines.h"

#include <iterator>
#include <vector>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr std::size_t kMaxDepth = 512;

// Forward iterator over the text that counts the newlines it steps over: nlohmann reads each
// character exactly once, so when a callback fires the count is the line of the last token.
struct CountingIterator {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* p = nullptr;
  std::size_t* newlines = nullptr;

  reference operator*() const { return *p; }
  CountingIterator& operator++() {
    if (*p == '\n') ++*newlines;
    ++p;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& other) const { return p == other.p; }
  bool operator!=(const CountingIterator& other) const { return p != other.p; }
};

// Builds the DOM like nlohmann's own SAX DOM parser, recording object lines and dropping members
// the caller does not keep.
class LineSax {
 public:
  LineSax(const std::string& path, std::string_view content, const JsonKeep& keep, JsonDoc& doc)
      : path_(path), content_(content), keep_(keep), doc_(doc) {}

  std::size_t newlines = 0;

  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string&) { return put(Json(v)); }
  bool string(std::string& v) { return put(Json(std::move(v))); }
  bool binary(Json::binary_t&) { return put(Json(nullptr)); }

  bool start_object(std::size_t) {
    if (open_container()) return true;
    Json* slot = place(Json::object());
    doc_.lines[slot->get_ptr<Json::object_t*>()] = key_line_ ? key_line_ : line();
    key_line_ = 0;
    stack_.push_back(slot);
    check_depth();
    return true;
  }
  bool end_object() { return close_container(); }
  bool start_array(std::size_t) {
    if (open_container()) return true;
    Json* slot = place(Json::array());
    doc_.lines[slot->get_ptr<Json::array_t*>()] = key_line_ ? key_line_ : line();
    key_line_ = 0;
    stack_.push_back(slot);
    check_depth();
    return true;
  }
  bool end_array() { return close_container(); }

  bool key(std::string& k) {
    if (skipping_ > 0) return true;
    if (keep_ && !keep_(stack_.size(), k)) {
      skip_next_ = true;
      return true;
    }
    slot_ = &(*stack_.back())[k];
    key_line_ = line();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    // position counts characters read, the failing one included (and end of input).
    std::size_t offset = position > 0 ? position - 1 : 0;
    auto [line, col] = line_col_at(content_, offset);
    std::string message = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    auto colon = message.find(": ", message.find("parse error"));
    if (colon != std::string::npos) message = message.substr(colon + 2);
    fail(path_, line, col, "invalid JSON: " + message);
  }

 private:
  int line() const { return static_cast<int>(newlines) + 1; }

  // True when the container just opened is being dropped.
  bool open_container() {
    if (skipping_ > 0 || skip_next_) {
      key_line_ = 0;
      skip_next_ = false;
      ++skipping_;
      return true;
    }
    return false;
  }
  bool close_container() {
    key_line_ = 0;
    if (skipping_ > 0) {
      --skipping_;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  bool put(Json&& v) {
    key_line_ = 0;
    if (skipping_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    place(std::move(v));
    return true;
  }

  Json* place(Json&& v) {
    if (stack_.empty()) {
      doc_.root = std::move(v);
      return &doc_.root;
    }
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.get_ref<Json::array_t&>().push_back(std::move(v));
      return &top.get_ref<Json::array_t&>().back();
    }
    *slot_ = std::move(v);
    return slot_;
  }

  void check_depth() {
    if (stack_.size() > kMaxDepth) {
      fail(path_, line(), 0, "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
  }

  const std::string& path_;
  std::string_view content_;
  const JsonKeep& keep_;
  JsonDoc& doc_;
  std::vector<Json*> stack_;
  Json* slot_ = nullptr;
  int key_line_ = 0;
  std::size_t skipping_ = 0;
  bool skip_next_ = false;
};

}  // namespace

int JsonDoc::line_of(const Json& value) const {
  const void* key = value.is_object()  ? static_cast<const void*>(value.get_ptr<const Json::object_t*>())
                    : value.is_array() ? static_cast<const void*>(value.get_ptr<const Json::array_t*>())
                                       : nullptr;
  if (!key) return 0;
  auto it = lines.find(key);
  return it == lines.end() ? 0 : it->second;
}

JsonDoc parse_json(const std::string& path, std::string_view content, const JsonKeep& keep) {
  JsonDoc doc;
  LineSax sax(path, content, keep, doc);
  CountingIterator first{content.data(), &sax.newlines};
  CountingIterator last{content.data() + content.size(), &sax.newlines};
  Json::sax_parse(first, last, &sax);
  return doc;
}

std::string json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    default: return "binary data";
  }
}

namespace {

const Json* member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto& map = obj.get_ref<const Json::object_t&>();
  auto it = map.find(std::string(key));
  if (it == map.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

[[noreturn]] void wrong_type(const std::string& path, int line, std::string_view key,
                             std::string_view what, const char* want, const Json& got) {
  fail(path, line, 0,
       "'" + std::string(key) + "' of " + std::string(what) + " must be " + want + ", not " +
           json_type_name(got));
}

}  // namespace

const std::string* json_string(const std::string& path, int line, const Json& obj,
                               std::string_view key, std::string_view what) {
  const Json* v = member(obj, key);
  if (!v) return nullptr;
  if (!v->is_string()) wrong_type(path, line, key, what, "a string", *v);
  return v->get_ptr<const std::string*>();
}

const Json* json_object(const std::string& path, int line, const Json& obj, std::string_view key,
                        std::string_view what) {
  const Json* v = member(obj, key);
  if (v && !v->is_object()) wrong_type(path, line, key, what, "an object", *v);
  return v;
}

const Json* json_array(const std::string& path, int line, const Json& obj, std::string_view key,
                       std::string_view what) {
  const Json* v = member(obj, key);
  if (v && !v->is_array()) wrong_type(path, line, key, what, "an array", *v);
  return v;
}

bool json_bool(const std::string& path, int line, const Json& obj, std::string_view key,
               std::string_view what) {
  const Json* v = member(obj, key);
  if (!v) return false;
  if (!v->is_boolean()) wrong_type(path, line, key, what, "a boolean", *v);
  return v->get<bool>();
}

void json_expect_object(const std::string& path, int line, const Json& value, std::string_view what) {
  if (!value.is_object()) {
    fail(path, line, 0, std::string(what) + " must be an object, not " + json_type_name(value));
  }
}

}  // namespace agent::controls::dependencies::detail
