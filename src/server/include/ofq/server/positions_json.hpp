// Reading the JSON bodies that carry positions (API.md): the original's
// {"storage_key", "positions", "output_format"} and /v1's {"positions", "format", "bounds"}.
// simdjson ondemand: a body of 100,000 positions parses in milliseconds, and is never
// turned into a DOM.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "ofq/region.hpp"

namespace ofq::server {

/// The body's scalar members (strings only), by key, and whether it has "positions".
struct BodyFields {
  std::map<std::string, std::string, std::less<>> strings;
  bool has_positions = false;
  uint64_t positions = 0;  ///< elements of the positions array, when asked (counted, not checked)
};

/// One element of "positions": `pos` is valid when `reason` is empty; otherwise `reason`
/// says what was expected and what was found, and `pos.id` holds the id if one was read.
/// `digest` is set for object positions naming a "digest" (POST /v1/sequences).
struct PositionItem {
  Position pos;
  std::string digest;
  std::string reason;
};

/// Throws the 413 of a request with more than `max_positions` positions.
[[noreturn]] void too_many_positions(uint64_t max_positions);

/// Pass 1: the scalar members. `allowed` lists the keys the route knows; an unknown key,
/// a member of the wrong type, malformed JSON or non-UTF-8 is ApiError(400) saying which.
/// With `count_positions`, BodyFields::positions is the length of the positions array
/// (POST /v1/jobs, which reads the rows later); the other routes count them in pass 2.
[[nodiscard]] BodyFields read_body_fields(const std::string& body, std::initializer_list<std::string_view> allowed,
                                          bool count_positions = false);

/// Pass 2: calls `each` for every element of "positions", in order, with its 0-based
/// index. Stops with ApiError(413 too_large) past `max_positions`. Throws ApiError(400) when
/// "positions" is missing or not an array.
void read_positions(const std::string& body, uint64_t max_positions,
                    const std::function<void(uint64_t row, PositionItem& item)>& each);

}  // namespace ofq::server
