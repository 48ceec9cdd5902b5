// The seam between the index builder (fasta_index_builder.cpp) and the compressed-file
// readers (gzip_source.cpp, bgzf_source.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fasta_scanner_internal.hpp"
#include "ofq/byte_source.hpp"
#include "ofq/fasta_index.hpp"
#include "ofq/sample.hpp"

namespace ofq::detail {

/// An optional section to store in FILE.ofqi (index_format.hpp, kinds >= 16).
struct ExtraSection {
  uint32_t kind = 0;
  std::string bytes;
};

struct ScanResult {
  std::vector<ExtraSection> sections;
  std::string gzi_bytes;  ///< BGZF: htslib's .gzi, written beside the .fai when non-empty
};

/// What a compressed reader's scan gets: the open file, the scanner to feed with every
/// uncompressed byte in order, `stored_bytes` to call with every byte read from the file
/// (in order, once: the builder hashes them), and the caller's options (spacing, progress).
struct ScanInput {
  const std::string& path;
  int fd;
  uint64_t file_size;
  FastaScanner& scanner;
  const std::function<void(const char*, size_t)>& stored_bytes;
  const IndexOptions& options;
};

ScanResult scan_gzip(const ScanInput& in);
ScanResult scan_bgzf(const ScanInput& in);

/// Sources over an index built by the scans above. Throw Error(bad_index) when the index
/// lacks the section they need.
std::unique_ptr<ByteSource> open_gzip_source(const std::string& path, const FastaIndex& index);
std::unique_ptr<ByteSource> open_bgzf_source(const std::string& path, const FastaIndex& index);

}  // namespace ofq::detail
