// Internal to src/report: tolerant accessors over a report.json document, the aggregations the
// renderers share, and escaping for each output language. Not part of the public API
// (render.hpp is).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/histogram.hpp"

namespace mh::report_detail {

using json = nlohmann::json;

// Field access that never throws: a missing field or one of another type gives the fallback.
std::string str(const json& j, std::string_view key);
double num(const json& j, std::string_view key);
std::uint64_t count(const json& j, std::string_view key);
bool flag(const json& j, std::string_view key);
const json& sub(const json& j, std::string_view key);  // null json if absent
const json& items(const json& j, std::string_view key);  // empty array unless an array
// Any JSON value as display text: strings as they are, null as "", others as compact JSON.
std::string as_text(const json& v);

// Text made safe for every output: valid UTF-8 (bad bytes become U+FFFD), no control
// characters except '\n' and '\t' (or none at all with keep_newlines = false: they become ' ').
std::string clean(std::string_view s, bool keep_newlines = true);
// & < > " ' escaped, after clean(); in attributes (XML) '\n' and '\t' become character references.
std::string escape_markup(std::string_view s, bool attribute = false);
// Text for a Markdown paragraph or table cell: one line, Markdown punctuation and HTML escaped.
std::string escape_markdown(std::string_view s);
// `code` span that survives any backticks in s (one line).
std::string markdown_code(std::string_view s);

// "0.123", "1.23", "123.4", "12345": milliseconds with about three significant digits.
std::string fmt_ms(double ms);
std::string fmt_seconds(double s);  // "3.21 s"
std::string fmt_fixed(double v, int decimals);

// From a summary object: "2 passed, 3 failed, 1 error, 1 skipped" and
// "7 records in 6 scenarios".
std::string outcome_counts(const json& summary);
std::string record_counts(const json& summary);

// Unix time of an RFC 3339 timestamp (2024-05-01T12:00:00.125Z, or with ±hh:mm).
std::optional<double> parse_timestamp(std::string_view s);

// "imap alice@contoso.com XOAUTH2" from the record's protocol, mailbox and mechanism.
std::string record_variant(const json& rec);

// Everything a renderer says about why a record did not pass.
struct failure_info {
  std::string message;      // failing check ("auth: expected pass, got rejected") or error
  std::string reply;        // the server's exact reply, if any
  std::string error_class;  // e.g. "rejected"
  std::string finding;      // first finding: title
  std::string step;         // first finding: missing setup step
  std::string remediation;  // first finding: the fix
};
failure_info describe_failure(const json& rec);

// "expected X, got Y" or the check's message.
std::string check_text(const json& check);

// Phase names in login order (token, resolve, connect, …, logout, total), unknown ones after
// in alphabetical order.
std::vector<std::string> ordered_phases(const json& phases);

// A phase entry's summary: from its histogram when present, else its stored summary.
latency_summary phase_summary(const json& entry);

// Per phase, the exact merge of the histograms of all records (phases without histograms
// are left out), in ordered_phases order.
std::vector<std::pair<std::string, histogram>> aggregate_phases(const json& records);

// Throws report_error: "<pointer>: <what>".
[[noreturn]] void fail(const std::string& pointer, const std::string& what);

}  // namespace mh::report_detail
