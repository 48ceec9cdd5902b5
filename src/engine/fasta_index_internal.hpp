// What the engine's own code sees of a mapped index: raw entries, for the fetch path and
// the compressed sources.
#pragma once

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
}  // namespace detail

}  // namespace ofq
