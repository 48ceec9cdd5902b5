// Positions and sequence types: what a query asks for (SEMANTICS.md, "A query").
//
// Coordinates are 0-based half-open [start, end) everywhere in the engine. The only
// 1-based inclusive numbers are samtools-style region strings ("chr1:11-20"), converted at
// the text boundary by parse_region().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ofq {

enum class SeqType : uint8_t { raw = 0, complement = 1, reverse_complement = 2 };

/// "raw", "complement", "reverse_complement"; nullopt for anything else (case-sensitive,
/// as the original service).
[[nodiscard]] std::optional<SeqType> parse_seq_type(std::string_view word) noexcept;
[[nodiscard]] std::string_view to_string(SeqType t) noexcept;

/// A position as written by a user, before it is checked against an index.
struct Position {
  std::string id;
  uint64_t start = 0;
  uint64_t end = 0;
  SeqType type = SeqType::raw;
  std::string name;  ///< BED name column; empty when absent
};

/// Parses a samtools region: `name`, `name:from`, `name:from-to` (1-based inclusive, commas
/// allowed in numbers) or `{name}:from-to` for names holding ':'. A bare `name` means the
/// whole record: end is UINT64_MAX (clamped later). Throws Error(bad_usage) naming the text.
/// `name_exists` resolves the samtools ambiguity of names that contain ':'.
[[nodiscard]] Position parse_region(std::string_view text,
                                    bool (*name_exists)(std::string_view, const void*) = nullptr,
                                    const void* ctx = nullptr);

inline constexpr uint64_t k_to_end = UINT64_MAX;

/// A region as `samtools faidx` reads it (htslib's rules, measured against samtools 1.16):
/// numbers may carry a sign, commas, a fraction, an exponent (`1e3`) or a k/m/g suffix
/// (`1.5k`), truncated to whole bases; `x:`, `x:0`, `x:-0` mean the whole record, `x:-N`
/// the first N bases, `x:N-` and `x:N-0` from N to the end. `ofq extract -r` keeps the
/// stricter parse_region().
struct SamtoolsRegion {
  enum Kind : uint8_t {
    fetch,    ///< `pos` is the region (end may be k_to_end)
    empty,    ///< a start before base 1 (`x:0-5`, `x:-`): samtools prints a header, no bases, exit 0
    invalid,  ///< samtools cannot fetch it (`x:5-3`, `x:5-8x`): a header, exit 1 unless -c
  };
  Kind kind = fetch;
  Position pos;
  std::string why;  ///< for invalid: what was wrong, for the message
};
[[nodiscard]] SamtoolsRegion parse_samtools_region(std::string_view text,
                                                   bool (*name_exists)(std::string_view, const void*),
                                                   const void* ctx);

}  // namespace ofq
