#include "core/json_doc.hpp"

#include <algorithm>

namespace mh {
namespace {

std::string format_error(const std::string& file, int line, int col, const std::string& field,
                         const std::string& what) {
  std::string s = file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  if (!field.empty()) s += field + ": ";
  return s + what;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string type_name(const nlohmann::json& j) { return j.type_name(); }

// Deepest nesting of objects and arrays accepted (no configuration file needs more).
constexpr std::size_t max_depth = 64;

// 1-based line and column of byte `pos` of `text`.
std::pair<int, int> line_column(std::string_view text, std::size_t pos) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace

config_error::config_error(std::string f, int l, int c, std::string fld, const std::string& what)
    : std::runtime_error(format_error(f, l, c, fld, what)),
      file(std::move(f)),
      line(l),
      column(c),
      field(std::move(fld)) {}

std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_d = word.size() / 2 + 2;
  for (auto c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string pointer_append(const std::string& pointer, std::string_view token) {
  std::string out = pointer + "/";
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_append(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

json_doc::json_doc(std::string_view text, std::string file) : file_(std::move(file)) {
  // nlohmann's parser takes a NUL byte for the end of the input (and of a // comment): the
  // rest of the file would be ignored unseen. No JSON file holds one.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    auto [line, col] = line_column(text, nul);
    throw config_error(file_, line, col, {}, "NUL byte in the file");
  }
  try {
    root_ = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based.
    auto [line, col] = line_column(text, e.byte ? e.byte - 1 : 0);
    std::string msg = e.what();
    auto p = msg.find("syntax error");
    throw config_error(file_, line, col, {}, p == std::string::npos ? msg : msg.substr(p));
  }
  locate(text);
}

// Walks the text once, recording where each value starts, keyed by JSON pointer. The text
// is known to be valid JSON (with comments) at this point.
void json_doc::locate(std::string_view t) {
  struct frame {
    bool object;
    std::string pointer;
    std::size_t index = 0;
    std::string key;
  };
  std::vector<frame> stack;
  int line = 1, col = 1;
  std::size_t i = 0;
  auto advance = [&](std::size_t n) {
    for (std::size_t k = 0; k < n && i < t.size(); ++k, ++i) {
      if (t[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  auto value_pointer = [&]() -> std::string {
    if (stack.empty()) return "";
    auto& f = stack.back();
    return f.object ? pointer_append(f.pointer, f.key) : pointer_append(f.pointer, f.index);
  };
  bool expect_key = false;
  while (i < t.size()) {
    char c = t[i];
    if (c == '/' && i + 1 < t.size() && t[i + 1] == '/') {  // ends at CR or LF, as for the parser
      while (i < t.size() && t[i] != '\n' && t[i] != '\r') advance(1);
      continue;
    }
    if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      advance(2);
      while (i + 1 < t.size() && !(t[i] == '*' && t[i + 1] == '/')) advance(1);
      advance(2);
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':') {
      advance(1);
      continue;
    }
    if (c == ',') {
      if (!stack.empty()) {
        if (stack.back().object) expect_key = true;
        else ++stack.back().index;
      }
      advance(1);
      continue;
    }
    if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      expect_key = false;
      advance(1);
      continue;
    }
    if (c == '"') {
      std::size_t start = i + 1;
      int l0 = line, c0 = col;
      advance(1);
      std::string s;
      while (i < t.size() && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < t.size()) {
          s += t[i + 1] == '/' ? '/' : t[i + 1];  // enough for keys (exact only if plain)
          advance(2);
        } else {
          s += t[i];
          advance(1);
        }
      }
      (void)start;
      advance(1);
      if (expect_key) {
        stack.back().key = s;
        expect_key = false;
        positions_.emplace(value_pointer(), std::make_pair(l0, c0));  // the key's position
        continue;
      }
      positions_[value_pointer()] = {l0, c0};
      continue;
    }
    // A scalar or a container begins here.
    std::string ptr = value_pointer();
    // Every level's pointer is stored: depth d costs O(d^2) memory. No configuration file
    // nests this deep; a crafted one would exhaust memory.
    if ((c == '{' || c == '[') && stack.size() >= max_depth)
      throw config_error(file_, line, col, ptr, "nested deeper than " + std::to_string(max_depth) + " levels");
    if (!positions_.count(ptr) || c == '{' || c == '[') positions_[ptr] = {line, col};
    if (c == '{') {
      stack.push_back({true, ptr, 0, {}});
      expect_key = true;
      advance(1);
      // an empty object: the next non-space char is '}' and expect_key is harmless
      continue;
    }
    if (c == '[') {
      stack.push_back({false, ptr, 0, {}});
      advance(1);
      continue;
    }
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
           t[i] != '\n' && t[i] != '\r' && t[i] != '\t' && t[i] != '/')
      advance(1);
  }
}

std::pair<int, int> json_doc::where(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = positions_.find(p);
    if (it != positions_.end()) return it->second;
    if (p.empty()) return {1, 1};
    p = p.substr(0, p.rfind('/'));
  }
}

void json_doc::fail(const std::string& pointer, const std::string& message) const {
  auto [l, c] = where(pointer);
  throw config_error(file_, l, c, pointer, message);
}

void json_doc::check_keys(const nlohmann::json& obj, const std::string& pointer,
                          std::initializer_list<std::string_view> allowed) const {
  if (!obj.is_object()) fail(pointer, "expected an object, found " + type_name(obj));
  std::vector<std::string_view> keys(allowed);
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) != keys.end()) continue;
    std::string msg = "unknown key \"" + it.key() + "\"";
    std::string near = nearest(it.key(), keys);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    fail(pointer_append(pointer, it.key()), msg);
  }
}

std::string json_doc::string_field(const nlohmann::json& obj, const std::string& pointer,
                                   std::string_view key, bool required,
                                   std::string fallback) const {
  auto it = obj.find(key);
  std::string p = pointer_append(pointer, key);
  if (it == obj.end()) {
    if (required) fail(pointer, "missing required key \"" + std::string(key) + "\"");
    return fallback;
  }
  if (!it->is_string()) fail(p, "expected a string, found " + type_name(*it));
  return it->get<std::string>();
}

bool json_doc::bool_field(const nlohmann::json& obj, const std::string& pointer,
                          std::string_view key, bool fallback) const {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean())
    fail(pointer_append(pointer, key), "expected true or false, found " + type_name(*it));
  return it->get<bool>();
}

long long json_doc::int_field(const nlohmann::json& obj, const std::string& pointer,
                              std::string_view key, long long fallback, long long min,
                              long long max) const {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  std::string p = pointer_append(pointer, key);
  if (!it->is_number_integer()) fail(p, "expected an integer, found " + type_name(*it));
  long long v = it->get<long long>();
  if (v < min || v > max)
    fail(p, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

std::vector<std::string> json_doc::strings_field(const nlohmann::json& obj,
                                                 const std::string& pointer,
                                                 std::string_view key) const {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  std::string p = pointer_append(pointer, key);
  if (!it->is_array()) fail(p, "expected an array of strings, found " + type_name(*it));
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string())
      fail(pointer_append(p, i), "expected a string, found " + type_name((*it)[i]));
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

const nlohmann::json& json_doc::array_field(const nlohmann::json& obj, const std::string& pointer,
                                            std::string_view key) const {
  static const nlohmann::json null;
  auto it = obj.find(key);
  if (it == obj.end()) return null;
  if (!it->is_array()) fail(pointer_append(pointer, key), "expected an array, found " + type_name(*it));
  return *it;
}

}  // namespace mh
