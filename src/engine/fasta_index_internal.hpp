// What the engine's own code sees of a mapped index: raw entries, for the fetch path and
// the compressed sources.
#pragma once

#include <xxhash.h>

#include <cstring>
#include <new>
#include <span>
#include <string>

#include "ofq/fasta_index.hpp"
#include "ofq/index_format.hpp"

namespace ofq {

struct FastaIndex::Impl {
  std::string path;
  const std::byte* base = nullptr;
  size_t size = 0;
  std::span<const format::RecordEntry> records;
  std::string_view strings;
  std::span<const uint32_t> hash;  // capacity slots
  std::span<const format::GeometryRun> runs;
  std::span<const format::SectionEntry> sections;
  ~Impl();
};

namespace detail {
/// XXH3-64 of a record name: the slot hash of the index's name table (stable on disk).
uint64_t name_hash(std::string_view name) noexcept;

/// A streaming XXH3-128 (the fingerprint and the full hash of a FASTA file), freed however
/// the scope ends.
class Xxh128 {
public:
  Xxh128() : st_(XXH3_createState()) {
    if (!st_) throw std::bad_alloc();
    XXH3_128bits_reset(st_);
  }
  Xxh128(const Xxh128&) = delete;
  Xxh128& operator=(const Xxh128&) = delete;
  ~Xxh128() { XXH3_freeState(st_); }
  void update(const void* p, size_t n) noexcept { XXH3_128bits_update(st_, p, n); }
  /// The 16 canonical (big-endian) bytes, as stored in the index header.
  void digest(unsigned char out[16]) const noexcept {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st_));
    std::memcpy(out, c.digest, 16);
  }

private:
  XXH3_state_t* st_;
};
}  // namespace detail

}  // namespace ofq
