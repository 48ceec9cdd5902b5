// A batch of positions against one sample: validated first, every bad row collected, then
// extracted in input order, on several threads, in flat memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ofq/error.hpp"
#include "ofq/output.hpp"
#include "ofq/region.hpp"
#include "ofq/sample.hpp"

namespace ofq {

struct BatchOptions {
  bool strict = false;           ///< an end past the record's length is an error, not clamped
  unsigned threads = 0;          ///< 0: hardware concurrency (2 here)
  uint64_t spool_after = 1u << 22;  ///< positions held in memory before spooling to a temp file
  std::string spool_dir;         ///< default: $TMPDIR or /tmp
  size_t max_errors_kept = 1000; ///< rows kept for the report; all are counted
};

/// Checks one position against a sample: the reason it is invalid, or "" when it is fine.
/// `clamped` is set when end > length (and strict is off).
[[nodiscard]] std::string check_position(const Sample& s, const Position& p, bool strict,
                                         RecordId* id_out, bool* clamped);

class Batch {
public:
  Batch(std::shared_ptr<const Sample> sample, BatchOptions opt = {});
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  /// Validates and stores a position; `line` is its file line (0 when not from a file).
  /// Returns false when it is invalid (the reason is kept in errors()).
  bool add(const Position& p, uint64_t line = 0);
  /// Records a row that could not even be parsed.
  void add_error(uint64_t line, std::string id, std::string reason);

  [[nodiscard]] uint64_t size() const noexcept;          ///< rows added, valid or not
  [[nodiscard]] uint64_t error_count() const noexcept;
  [[nodiscard]] const std::vector<RowError>& errors() const noexcept;
  [[nodiscard]] uint64_t clamped() const noexcept;
  void set_with_names(bool v) noexcept;
  [[nodiscard]] bool with_names() const noexcept;
  /// Throws Error(bad_positions) with every kept row when any row was invalid.
  void throw_if_invalid() const;

  /// Writes every row, in input order, then finish(). Precondition: error_count() == 0.
  /// Each row is extracted exactly once; compressed sources are read in offset order.
  /// `progress(done, total)` is called now and then from the writing thread.
  Summary write(RowWriter& writer,
                const std::function<void(uint64_t, uint64_t)>& progress = {});

  /// Bytes of memory held per stored position (reported by the benchmark).
  [[nodiscard]] static size_t bytes_per_position() noexcept;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ofq
