// The one-pass FASTA scanner: fed the uncompressed text in chunks of any size (a plain
// file's reads, an inflater's output), it builds the record table and refuses what
// SEMANTICS.md refuses, naming file, line and record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ofq/index_format.hpp"

namespace ofq::detail {

class FastaScanner {
public:
  explicit FastaScanner(std::string file_name);
  /// The next bytes of the text. Throws Error(file_refused).
  void feed(const char* data, size_t n);
  /// End of text. Throws Error(file_refused).
  void finish();
  /// A hint, once `fraction` (0..1] of the input has been fed: reserves the tables for the
  /// whole file at the rate seen so far, so that they grow once instead of doubling (a
  /// doubling of 5 million 64-byte records held both copies: the peak of indexing).
  void reserve_for(double fraction);

  std::vector<format::RecordEntry> records;
  std::string strings;
  std::vector<format::GeometryRun> runs;
  uint64_t uncompressed_size = 0;
  uint64_t total_bases = 0;
  std::vector<uint64_t> header_lines;  ///< 1-based line of each record's header

  struct State;
  ~FastaScanner();

private:
  std::string file_name_;
  std::unique_ptr<State> st_;
};

}  // namespace ofq::detail
