// The engine's own index of one FASTA file (FILE.ofqi), opened by mmap.
//
// Opening costs a mapping and a header check, whatever the number of records; a lookup by
// name is one hash and a few memory reads. The byte layout is in index_format.hpp and
// docs/formats.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ofq/byte_source.hpp"

namespace ofq {

enum class Alphabet : uint8_t { dna = 0, rna = 1, protein = 2 };
[[nodiscard]] const char* to_string(Alphabet a) noexcept;  ///< "dna", "rna", "protein"

using RecordId = uint32_t;

/// What the index knows of one record. Views point into the mapped index: valid while the
/// FastaIndex lives.
struct RecordInfo {
  RecordId id = 0;
  std::string_view name;         ///< header text after '>' up to the first space or tab
  std::string_view description;  ///< the rest of the header line, leading blanks removed
  uint64_t length = 0;           ///< bases
  Alphabet alphabet = Alphabet::dna;
  bool has_gap_symbols = false;  ///< holds '-', '.' or '*'
  bool fai_expressible = true;   ///< samtools' .fai can describe this record's lines
  char foreign_letter = 0;       ///< protein: the first letter outside the complement table
  uint64_t foreign_position = 0; ///< ... and its 0-based position
};

/// The fingerprint of the file an index was built from (SEMANTICS.md, decisions).
struct FileFingerprint {
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  uint8_t content[16] = {};  ///< XXH3-128 of size, first/last 64 KiB, 16 sampled 4 KiB blocks
};

/// Computes the fingerprint of `path` as it is now (reads at most ~200 KiB).
[[nodiscard]] FileFingerprint fingerprint_file(const std::string& path);

class FastaIndex {
public:
  /// Maps and checks an index file's structure (magic, version, section bounds). Does not
  /// compare it with the FASTA file: see Sample::open. Throws Error(bad_index).
  [[nodiscard]] static FastaIndex open(const std::string& index_path);

  FastaIndex(FastaIndex&&) noexcept;
  FastaIndex& operator=(FastaIndex&&) noexcept;
  ~FastaIndex();

  [[nodiscard]] size_t record_count() const noexcept;
  [[nodiscard]] RecordInfo record(RecordId id) const;  ///< id < record_count()
  [[nodiscard]] std::optional<RecordId> find(std::string_view name) const noexcept;

  [[nodiscard]] Compression compression() const noexcept;
  [[nodiscard]] FileFingerprint fingerprint() const noexcept;
  [[nodiscard]] uint64_t uncompressed_size() const noexcept;
  [[nodiscard]] uint64_t total_bases() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept;

  /// Raw bytes of an optional section (gzip checkpoints, BGZF blocks, digests ...); empty
  /// span when the index has none of that kind. Kinds: index_format.hpp.
  [[nodiscard]] std::span<const std::byte> section(uint32_t kind) const noexcept;

  struct Impl;
  [[nodiscard]] const Impl& impl() const noexcept { return *impl_; }

private:
  explicit FastaIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ofq
