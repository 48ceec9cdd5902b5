// Sequence digests (GA4GH refget): md5, sha512t24u (the `ga4gh` id, "SQ." + base64url of the
// first 24 bytes of SHA-512) and TRUNC512 (hex of the same 24 bytes), of each record's
// normalised sequence: its letters only, uppercased (REFGET.md, 1.5).
//
// Digests are their own pass over a sample, after its record table is written: extraction
// works at once, and `ofq serve` hashes in the background. The pass runs on two threads,
// writes its progress to FILE.ofqi.digests.partial so that an interrupted pass resumes, and
// ends by renaming it to FILE.ofqi.digests, a sidecar beside the index carrying the index's
// fingerprint (layout: src/engine/digest.cpp, docs/formats-digests.md).
//
// Records holding '-', '.' or '*' get no digest (state not_served): refget counts letters
// only, so its coordinates would not match ours (SEMANTICS.md, decisions).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofq/fasta_index.hpp"

namespace ofq {

class Sample;

inline constexpr size_t k_md5_bytes = 16;
inline constexpr size_t k_sha512t24_bytes = 24;

using Md5Bytes = std::array<uint8_t, k_md5_bytes>;
using Sha512t24Bytes = std::array<uint8_t, k_sha512t24_bytes>;

struct SequenceDigest {
  Md5Bytes md5{};
  Sha512t24Bytes sha512t24{};  ///< the first 24 bytes of SHA-512
  friend bool operator==(const SequenceDigest&, const SequenceDigest&) = default;
};

/// Hashes `bases` as given (callers pass normalised text). OpenSSL EVP.
[[nodiscard]] SequenceDigest digest_bases(std::string_view bases);

/// Letters of `text` uppercased; everything else (newlines, blanks, digits, '-', '.', '*')
/// dropped, as refget normalises.
[[nodiscard]] std::string normalise_sequence(std::string_view text);

[[nodiscard]] std::string md5_hex(const Md5Bytes& d);             ///< 32 lowercase hex
[[nodiscard]] std::string ga4gh_id(const Sha512t24Bytes& d);      ///< "SQ." + 32 base64url
[[nodiscard]] std::string trunc512_hex(const Sha512t24Bytes& d);  ///< 48 lowercase hex
/// RFC 4648 section 5, unpadded.
[[nodiscard]] std::string base64url(const uint8_t* data, size_t n);

/// A refget identifier as a client writes it (REFGET.md, 1.5): an optional `md5:`,
/// `ga4gh:` or `trunc512:` prefix, else told apart by form (`SQ.`, 32 or 48 hex). Any other
/// text holding ':' is a namespaced alias (`insdc:BK006935.2`), kept as written.
struct RefgetId {
  enum class Kind : uint8_t { md5, sha512t24, alias };
  Kind kind = Kind::md5;
  Md5Bytes md5{};              ///< kind md5
  Sha512t24Bytes sha512t24{};  ///< kind sha512t24 (from a ga4gh or a TRUNC512 id)
  std::string alias;           ///< kind alias
};
/// nullopt when `text` is none of the above (a refget server answers 404).
[[nodiscard]] std::optional<RefgetId> parse_refget_id(std::string_view text);

enum class DigestState : uint8_t {
  pending = 0,     ///< not hashed yet
  done = 1,        ///< digest valid
  not_served = 2,  ///< holds '-', '.' or '*': no refget digest
};

struct RecordDigest {
  DigestState state = DigestState::pending;
  SequenceDigest digest;
};

/// The digests of one sample's records, by RecordId.
struct DigestTable {
  std::vector<RecordDigest> records;
  [[nodiscard]] bool complete() const noexcept;  ///< no record pending
};

/// FILE.ofqi.digests, beside the sample's index.
[[nodiscard]] std::string digest_path(const Sample& sample);

/// The sidecar of `sample` when it exists, is complete and carries the fingerprint of the
/// sample's index; nullopt otherwise (a stale or damaged sidecar is ignored, never trusted).
[[nodiscard]] std::optional<DigestTable> load_digests(const Sample& sample);

struct DigestOptions {
  unsigned threads = 2;  ///< 1 or 2 (more are not used)
  /// Write FILE.ofqi.digests(.partial); when false, nothing is written or resumed.
  bool write = true;
  /// Bases hashed between two checkpoints of the .partial file.
  uint64_t checkpoint_bases = 64ull << 20;
  /// Called, from the hashing threads, as each record's digest is known (also for records
  /// resumed from a .partial file, before any hashing). Must be thread-safe.
  std::function<void(RecordId, const RecordDigest&)> on_record;
  /// Bases of records done so far, of the sample's total (from the hashing threads).
  std::function<void(uint64_t done_bases, uint64_t total_bases)> progress;
  /// When set and true, the pass stops at the next record, keeping its .partial file,
  /// and returns the table as it is (pending records stay pending).
  const std::atomic<bool>* cancel = nullptr;
};

/// Hashes every record not already in FILE.ofqi.digests.partial (resumed when its
/// fingerprint matches), then writes FILE.ofqi.digests. Throws Error(corrupt_input) when
/// the bytes are not those the index promised, Error(io_error) when reading fails. A
/// sidecar that cannot be written (read-only folder) is not an error: the table is returned.
[[nodiscard]] DigestTable compute_digests(const Sample& sample, const DigestOptions& opt = {});

/// load_digests, else compute_digests.
[[nodiscard]] DigestTable ensure_digests(const Sample& sample, const DigestOptions& opt = {});

}  // namespace ofq
