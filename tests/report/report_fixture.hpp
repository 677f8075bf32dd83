// Loading the report fixtures of tests/report/fixtures (path given by the build).
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#ifndef MH_REPORT_FIXTURES
#error "MH_REPORT_FIXTURES must name tests/report/fixtures"
#endif

inline nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(std::string(MH_REPORT_FIXTURES) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// True if `text` holds a control character other than '\n' and '\t'.
inline bool has_control(const std::string& text) {
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) return true;
  return false;
}
