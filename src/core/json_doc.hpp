// JSON configuration files (tenant, scenario, profile): JSON with // and /* */ comments,
// strict keys, and errors that name the file, line, column and field (a JSON pointer),
// suggesting the nearest valid key for a misspelt one.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mh {

struct config_error : std::runtime_error {
  config_error(std::string file, int line, int column, std::string field, const std::string& what);
  std::string file;
  int line;
  int column;
  std::string field;  // JSON pointer ("/apps/2/client_id"), empty for syntax errors
};

// The closest candidate by edit distance, if it is close enough to be a likely typo.
std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates);

class json_doc {
 public:
  // Parses `text`; throws config_error with the position of a syntax error.
  json_doc(std::string_view text, std::string file);

  const nlohmann::json& root() const { return root_; }
  const std::string& file() const { return file_; }

  // Throws config_error located at `pointer` (falls back to the nearest located parent).
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const;

  // Every key of the object at `pointer` must be in `allowed`, else config_error with a
  // suggestion. Also fails when the value is not an object.
  void check_keys(const nlohmann::json& obj, const std::string& pointer,
                  std::initializer_list<std::string_view> allowed) const;

  // Typed field access: `required` fields must be present; wrong types always fail.
  std::string string_field(const nlohmann::json& obj, const std::string& pointer,
                           std::string_view key, bool required, std::string fallback = {}) const;
  bool bool_field(const nlohmann::json& obj, const std::string& pointer, std::string_view key,
                  bool fallback) const;
  long long int_field(const nlohmann::json& obj, const std::string& pointer, std::string_view key,
                      long long fallback, long long min, long long max) const;
  std::vector<std::string> strings_field(const nlohmann::json& obj, const std::string& pointer,
                                         std::string_view key) const;
  const nlohmann::json& array_field(const nlohmann::json& obj, const std::string& pointer,
                                    std::string_view key) const;  // null json if absent

  // Line and column (1-based) of the value at `pointer`, or of the key naming it.
  std::pair<int, int> where(const std::string& pointer) const;

 private:
  void locate(std::string_view text);
  std::string file_;
  nlohmann::json root_;
  std::map<std::string, std::pair<int, int>> positions_;  // pointer -> (line, column)
};

// Appends a reference token to a JSON pointer (escaping ~ and /).
std::string pointer_append(const std::string& pointer, std::string_view token);
std::string pointer_append(const std::string& pointer, std::size_t index);

}  // namespace mh
