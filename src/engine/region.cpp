#include "ofq/region.hpp"

#include <charconv>

#include "ofq/error.hpp"

namespace ofq {

std::optional<SeqType> parse_seq_type(std::string_view w) noexcept {
  if (w == "raw") return SeqType::raw;
  if (w == "complement") return SeqType::complement;
  if (w == "reverse_complement") return SeqType::reverse_complement;
  return std::nullopt;
}

std::string_view to_string(SeqType t) noexcept {
  switch (t) {
    case SeqType::raw: return "raw";
    case SeqType::complement: return "complement";
    case SeqType::reverse_complement: return "reverse_complement";
  }
  return "raw";
}

namespace {

// samtools accepts "1,000" in region numbers; so do we.
std::optional<uint64_t> parse_number(std::string_view s) {
  std::string digits;
  for (char c : s)
    if (c != ',') digits.push_back(c);
  if (digits.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

[[noreturn]] void bad_region(std::string_view text, const std::string& why) {
  throw Error(Errc::bad_usage, "region '" + std::string(text) + "': " + why);
}

// "from-to", "from" or "from-" after the colon, 1-based inclusive.
void parse_range(std::string_view text, std::string_view range, Position& p) {
  auto dash = range.find('-');
  auto from = parse_number(range.substr(0, dash));
  if (!from || *from == 0) bad_region(text, "expected a 1-based start after ':'");
  p.start = *from - 1;
  if (dash == std::string_view::npos || dash + 1 == range.size()) {
    p.end = k_to_end;
    return;
  }
  auto to = parse_number(range.substr(dash + 1));
  if (!to) bad_region(text, "expected a whole number after '-'");
  if (*to < *from) bad_region(text, "end is before start");
  p.end = *to;
}

}  // namespace

Position parse_region(std::string_view text, bool (*name_exists)(std::string_view, const void*),
                      const void* ctx) {
  Position p;
  p.end = k_to_end;
  if (text.empty()) bad_region(text, "empty region");
  if (text.front() == '{') {
    auto close = text.find('}');
    if (close == std::string_view::npos) bad_region(text, "'{' without a closing '}'");
    p.id = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (rest.empty()) return p;
    if (rest.front() != ':') bad_region(text, "expected ':' after '}'");
    parse_range(text, rest.substr(1), p);
    return p;
  }
  // Like samtools: the whole text is a name when it names a record, else split at the last ':'.
  if (name_exists && name_exists(text, ctx)) {
    p.id = std::string(text);
    return p;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    p.id = std::string(text);
    return p;
  }
  p.id = std::string(text.substr(0, colon));
  parse_range(text, text.substr(colon + 1), p);
  return p;
}

}  // namespace ofq
