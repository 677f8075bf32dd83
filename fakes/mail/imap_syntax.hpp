// IMAP command syntax for the fake server (RFC 3501 §9 subset): argument tokens (atoms,
// quoted strings, parenthesised lists), sequence sets, and the parts of a message that
// FETCH returns (header, text, a simple ENVELOPE and BODYSTRUCTURE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mh::fake::imap_syntax {

// Splits arguments: atoms, "quoted" (unescaped), (lists) kept whole with parentheses,
// [sections] stay attached to their atom. nullopt on unbalanced quotes or parentheses.
std::optional<std::vector<std::string>> split_args(std::string_view s);

// A sequence set ("1:3,5,7:*") resolved against `max` (the highest number in use);
// nullopt when malformed. Numbers beyond max are kept (UID sets may name absent UIDs).
std::optional<std::vector<std::uint32_t>> sequence_set(std::string_view s, std::uint32_t max);

std::string quote(std::string_view s);  // IMAP quoted string, or a literal when needed
std::string header_of(const std::string& message);  // up to and including the blank line
std::string text_of(const std::string& message);    // after the blank line
std::string header_field(const std::string& message, std::string_view name);
// Only the named header fields (BODY[HEADER.FIELDS (A B)]), plus the blank line.
std::string header_fields(const std::string& message, const std::vector<std::string>& names,
                          bool negate);
std::string envelope(const std::string& message);
std::string bodystructure(const std::string& message);
std::string internal_date(std::int64_t unix_seconds);  // "17-Jul-1996 02:44:25 +0000"

}  // namespace mh::fake::imap_syntax
