// tools/trace/json.hpp: the small JSON reader simloop-trace needs.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simloop::tools::json {

struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A parsed value. Numbers keep their text, so 64-bit integers stay exact.
struct value {
  enum class type { null, boolean, number, string, array, object };
  type kind = type::null;
  bool boolean = false;
  std::string text;  // string contents, or a number's literal
  std::vector<value> items;
  std::vector<std::pair<std::string, value>> members;

  bool is_object() const { return kind == type::object; }
  bool is_array() const { return kind == type::array; }
  bool is_string() const { return kind == type::string; }
  bool is_number() const { return kind == type::number; }
  // A member, or null when absent (or this is not an object).
  const value* find(std::string_view key) const {
    for (const auto& m : members)
      if (m.first == key) return &m.second;
    return nullptr;
  }
  // A non-negative integer number; false if this is anything else.
  bool as_u64(std::uint64_t& out) const {
    if (kind != type::number || text.empty()) return false;
    for (char c : text)
      if (c < '0' || c > '9') return false;
    out = std::strtoull(text.c_str(), nullptr, 10);
    return true;
  }
  double as_double() const { return std::strtod(text.c_str(), nullptr); }
};

class parser {
 public:
  explicit parser(std::string_view in) : in_(in) {}

  value parse_document() {
    value v = parse_value(0);
    skip_space();
    if (pos_ != in_.size()) fail("trailing characters after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos_ && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw parse_error("not JSON: " + what + " at line " + std::to_string(line) + ", column " + std::to_string(col));
  }
  void skip_space() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\n' || in_[pos_] == '\r' || in_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  value parse_value(int depth) {
    if (depth > 200) fail("nesting too deep");
    skip_space();
    if (pos_ >= in_.size()) fail("unexpected end of input");
    value v;
    char c = in_[pos_];
    if (c == '{') {
      ++pos_;
      v.kind = value::type::object;
      if (eat('}')) return v;
      do {
        skip_space();
        if (pos_ >= in_.size() || in_[pos_] != '"') fail("expected a string key");
        std::string key = parse_string();
        expect(':');
        v.members.emplace_back(std::move(key), parse_value(depth + 1));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++pos_;
      v.kind = value::type::array;
      if (eat(']')) return v;
      do v.items.push_back(parse_value(depth + 1));
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = value::type::string;
      v.text = parse_string();
    } else if (literal("true")) {
      v.kind = value::type::boolean;
      v.boolean = true;
    } else if (literal("false")) {
      v.kind = value::type::boolean;
    } else if (literal("null")) {
      v.kind = value::type::null;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = value::type::number;
      std::size_t start = pos_;
      if (in_[pos_] == '-') ++pos_;
      auto digits = [&] {
        std::size_t s = pos_;
        while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
        if (s == pos_) fail("malformed number");
      };
      digits();
      if (pos_ < in_.size() && in_[pos_] == '.') {
        ++pos_;
        digits();
      }
      if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
        digits();
      }
      v.text = std::string(in_.substr(start, pos_ - start));
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  std::string parse_string() {
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= in_.size()) fail("unterminated string");
      char c = in_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size()) fail("unterminated string");
      char e = in_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > in_.size()) fail("short \\u escape");
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = in_[pos_++];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
            else fail("bad \\u escape");
          }
          put_utf8(out, cp);  // surrogate pairs are kept as two code points
          break;
        }
        default: fail("bad escape");
      }
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

inline value parse(std::string_view text) { return parser(text).parse_document(); }

}  // namespace simloop::tools::json
