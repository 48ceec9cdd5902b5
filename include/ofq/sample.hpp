// A Sample is one FASTA file opened for queries: its index (built or checked) and its byte
// source. It is what the CLI and the server hold.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ofq/byte_source.hpp"
#include "ofq/fasta_index.hpp"
#include "ofq/region.hpp"

namespace ofq {

/// Called while an index is built: bytes of the stored file consumed so far, and its size.
using ProgressFn = std::function<void(uint64_t done_bytes, uint64_t total_bytes)>;

struct IndexOptions {
  /// Where indexes go when set (also OFQ_INDEX_DIR): index_paths() explains the rules.
  std::string index_dir;
  /// Build a missing index, rebuild a stale one. When false, a missing or stale index is
  /// Error(bad_index) telling the user to run `ofq index`.
  bool build = true;
  /// Also write FILE.fai (and FILE.gzi for BGZF) beside the index, for samtools.
  bool write_fai = true;
  /// Check the index against every byte of the file, not only the fingerprint (after the
  /// file was seen to change under a running server, say).
  bool full_check = false;
  /// gzip: uncompressed bytes between two checkpoints.
  uint64_t gzip_spacing_bytes = 4ull << 20;
  ProgressFn progress;
};

/// Where the index of `fasta_path` is looked for, in order, and where a new one is written
/// (SEMANTICS.md, decisions): an explicit index_dir / OFQ_INDEX_DIR first; beside the
/// file when its folder is writable; else $XDG_CACHE_HOME/ofq (~/.cache/ofq). Outside the
/// file's folder the name is keyed by the file's absolute path.
struct IndexPaths {
  std::string read_candidates[3];
  std::string write_path;  ///< FILE.ofqi to write; .fai/.gzi go beside it with the same stem
};
[[nodiscard]] IndexPaths index_paths(const std::string& fasta_path, const IndexOptions& opt);

/// Builds FILE.ofqi (and FILE.fai when expressible) in one pass. Written to a temporary
/// file and renamed: never half-written. Returns the path written. Throws Error.
std::string build_index(const std::string& fasta_path, const IndexOptions& opt);

enum class IndexState { fresh, missing, stale, damaged };
struct IndexCheck {
  IndexState state = IndexState::missing;
  std::string index_path;
  std::string detail;  ///< why it is stale or damaged
};
/// Compares the index with the file: size and fingerprint; `full` also hashes every byte.
[[nodiscard]] IndexCheck check_index(const std::string& fasta_path, const IndexOptions& opt,
                                     bool full = false);

class Sample {
public:
  /// Opens `fasta_path`, reusing its index when fresh, else building it (opt.build).
  [[nodiscard]] static std::shared_ptr<const Sample> open(const std::string& fasta_path,
                                                          const IndexOptions& opt = {});

  Sample(FastaIndex index, std::unique_ptr<ByteSource> source, std::string path);
  ~Sample();

  [[nodiscard]] const FastaIndex& index() const noexcept { return index_; }
  [[nodiscard]] const ByteSource& source() const noexcept { return *source_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// Appends bases [start, min(end, length)) of record `id` to `out`, transformed by `type`
  /// (case kept; SEMANTICS.md's complement table; RNA complements to U). start >= length
  /// gives nothing. Throws Error(not_nucleic) for complement of a protein record,
  /// Error(corrupt_input) when the bytes read are not the bases the index promised.
  /// Thread-safe.
  void fetch(RecordId id, uint64_t start, uint64_t end, SeqType type, std::string& out) const;

  /// The same, delivered in pieces of at most `piece_bases`, in output order, so that a
  /// region of any length streams in flat memory.
  void fetch_pieces(RecordId id, uint64_t start, uint64_t end, SeqType type,
                    const std::function<void(std::string_view)>& sink,
                    uint64_t piece_bases = 1u << 20) const;

private:
  FastaIndex index_;
  std::unique_ptr<ByteSource> source_;
  std::string path_;
};

}  // namespace ofq
