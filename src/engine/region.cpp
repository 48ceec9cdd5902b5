#include "ofq/region.hpp"

#include <charconv>
#include <cmath>

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

namespace {

struct Decimal {
  long double value = 0;  ///< signed, before truncation
  size_t end = 0;         ///< index of the first character not taken
  bool digits = false;    ///< false: nothing was taken (end is where it started)
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A number as htslib reads one in a region: [blanks][+|-]digits-and-commas[.digits]
// [e[+|-]digits | k|m|g]. A sign or blanks with no digit after them are not taken.
Decimal read_decimal(std::string_view s, size_t i) {
  Decimal d;
  d.end = i;
  size_t j = i;
  while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
  bool negative = false;
  if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
    negative = s[j] == '-';
    ++j;
  }
  long double mantissa = 0;
  int scale = 0;  // power of ten
  bool any = false;
  for (; j < s.size() && (is_digit(s[j]) || s[j] == ','); ++j)
    if (s[j] != ',') mantissa = mantissa * 10 + (s[j] - '0'), any = true;
  if (j < s.size() && s[j] == '.') {
    ++j;
    for (; j < s.size() && is_digit(s[j]); ++j) mantissa = mantissa * 10 + (s[j] - '0'), --scale, any = true;
  }
  if (!any) return d;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    ++j;
    bool eneg = false;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) eneg = s[j++] == '-';
    int e = 0;
    for (; j < s.size() && is_digit(s[j]); ++j) e = std::min(e * 10 + (s[j] - '0'), 1000);
    scale += eneg ? -e : e;
  } else if (j < s.size()) {
    switch (s[j]) {
      case 'k': case 'K': scale += 3, ++j; break;
      case 'm': case 'M': scale += 6, ++j; break;
      case 'g': case 'G': scale += 9, ++j; break;
      default: break;
    }
  }
  d.value = std::trunc(mantissa * std::pow(10.0L, scale)) * (negative ? -1 : 1);
  d.end = j;
  d.digits = true;
  return d;
}

}  // namespace

SamtoolsRegion parse_samtools_region(std::string_view text, bool (*name_exists)(std::string_view, const void*),
                                     const void* ctx) {
  SamtoolsRegion out;
  out.pos.end = k_to_end;
  auto invalid = [&](std::string why) {
    out.kind = SamtoolsRegion::invalid;
    out.why = std::move(why);
    return out;
  };
  std::string_view range;
  if (name_exists && name_exists(text, ctx)) {
    out.pos.id = std::string(text);
    return out;
  }
  if (!text.empty() && text.front() == '{') {
    const size_t close = text.find('}');
    if (close == std::string_view::npos) return invalid("'{' without a closing '}'");
    out.pos.id = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return out;
    if (rest.front() != ':') return invalid("expected ':' after '}'");
    range = rest.substr(1);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      out.pos.id = std::string(text);
      return out;
    }
    out.pos.id = std::string(text.substr(0, colon));
    range = text.substr(colon + 1);
  }
  // The largest coordinate that can be stored; beyond it a number is refused, not wrapped
  // (samtools wraps 2^64+1 to 1 and answers the whole record).
  constexpr long double k_max = 9.2e18L;
  const Decimal b = read_decimal(range, 0);
  if (std::fabs(b.value) > k_max) return invalid("the start is too large");
  long double beg = b.value - 1;
  size_t at = b.end;
  const char next = at < range.size() ? range[at] : '\0';
  if (beg < 0) {
    if (beg != -1 && next == '-') return invalid("coordinates must be > 0");
    if (is_digit(next) || next == '\0' || next == ',') {
      // "x:-N": the first N bases; "x:", "x:0", "x:-0": the whole record.
      out.pos.start = 0;
      out.pos.end = beg == -1 ? k_to_end : uint64_t(-(beg + 1));
      return out;
    }
    if (beg < -1) return invalid("unexpected '" + std::string(range.substr(at)) + "' after the start");
  }
  long double end = 0;
  if (next == '\0') {
    end = -1;  // to the end of the record
  } else if (next == '-') {
    const Decimal e = read_decimal(range, at + 1);
    if (e.end != range.size())
      return invalid("unexpected '" + std::string(range.substr(e.end)) + "' after the range");
    if (std::fabs(e.value) > k_max) return invalid("the end is too large");
    if (e.value < 0) return invalid("the end is before the start");
    end = e.value == 0 ? -1 : e.value;  // "x:N-" and "x:N-0": to the end
  } else {
    return invalid("unexpected '" + std::string(range.substr(at)) + "' after the start");
  }
  if (beg < 0) {
    out.kind = SamtoolsRegion::empty;
    return out;
  }
  if (end != -1 && beg >= end) return invalid("the end is before the start");
  out.pos.start = uint64_t(beg);
  out.pos.end = end == -1 ? k_to_end : uint64_t(end);
  return out;
}

}  // namespace ofq
