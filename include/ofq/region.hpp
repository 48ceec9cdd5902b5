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

}  // namespace ofq
