// Reading positions files: the original's CSV (no header), TSV with a header, BED, and
// samtools region lines (SEMANTICS.md, decisions: "positions file formats").
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ofq/region.hpp"

namespace ofq {

enum class PositionsFormat : uint8_t { automatic, csv, tsv, bed, regions };
[[nodiscard]] std::optional<PositionsFormat> parse_positions_format(std::string_view w) noexcept;
[[nodiscard]] std::string_view to_string(PositionsFormat f) noexcept;

/// Pulls positions one at a time from a stream, in flat memory.
class PositionReader {
public:
  struct Item {
    Position pos;
    uint64_t line = 0;  ///< 1-based line of the file (a TSV header is line 1)
    bool ok = true;
    std::string reason;  ///< when !ok: what was expected and what was found
  };

  /// `name` is the file name used in messages and, with PositionsFormat::automatic, to pick
  /// the format by extension (.csv .tsv .bed .txt), else by content.
  PositionReader(std::istream& in, std::string name, PositionsFormat format);
  ~PositionReader();

  /// False at the end of input. A malformed row is returned with ok == false.
  bool next(Item& item);

  /// Regions files: tells which names exist, so that "a:b:1-10" splits like samtools.
  void set_name_exists(std::function<bool(std::string_view)> exists);

  [[nodiscard]] PositionsFormat format() const noexcept;
  /// True for BED files with a name column: the answer carries a name column.
  [[nodiscard]] bool has_names() const noexcept;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ofq
