// FILE.ofqi, version 1: the byte layout. All integers little-endian; every section starts
// on an 8-byte boundary. docs/formats.md repeats this with examples.
//
// @verbatim
// offset size field
// 0      8    magic "\x89OFQI\r\n\x1a\n" (PNG-style: text-mode transfers break it)
// 8      4    version (1)
// 12     4    header size (128)
// 16     1    compression of the FASTA file: 0 plain, 1 gzip, 2 bgzf
// 17     7    reserved, zero
// 24     8    FASTA file size in bytes (compressed size for gzip/BGZF)
// 32     8    FASTA file mtime, ns since the epoch
// 40     16   content fingerprint: XXH3-128 over the size, the first and last 64 KiB and
//             16 evenly spaced 4 KiB blocks of the file as stored
// 56     16   XXH3-128 of every byte of the file as stored (ofq index --check --full)
// 72     8    uncompressed size of the text
// 80     8    record count
// 88     8    total bases
// 96     4    section count
// 100    4    reserved
// 104    8    section table offset
// 112    16   reserved, zero
// section table: count x { u32 kind, u32 flags, u64 offset, u64 size }  (24 bytes each)
// @endverbatim
//
// Section kinds below 16 belong to the record table and are always present (RUNS may be
// empty). Kinds 16 and up are optional and owned by one component each.
#pragma once

#include <cstdint>

namespace ofq::format {

inline constexpr char k_magic[8] = {'\x89', 'O', 'F', 'Q', 'I', '\r', '\n', '\x1a'};
inline constexpr uint32_t k_version = 1;
inline constexpr uint32_t k_header_size = 128;

enum SectionKind : uint32_t {
  records = 1,       ///< record_count x RecordEntry
  strings = 2,       ///< names and descriptions, unterminated, name then description
  name_hash = 3,     ///< u64 capacity (power of two), then capacity x u32 (record id + 1, 0 = empty)
  runs = 4,          ///< GeometryRun array for irregular records
  gzip_checkpoints = 16,  ///< src/engine/gzip_source.cpp
  bgzf_blocks = 17,       ///< src/engine/bgzf_source.cpp
  digests = 32,           ///< src/engine/digest.cpp
};

/// One record, 64 bytes. A record whose lines are all `line_bases` long (the last may be
/// shorter) and `line_bytes` apart has runs_count == 0: base b is at
/// sequence_offset + b / line_bases * line_bytes + b % line_bases. Otherwise its lines are
/// described by runs_count GeometryRuns starting at runs_begin.
struct RecordEntry {
  uint64_t name_offset;        // into strings
  uint32_t name_length;
  uint32_t description_length; // description bytes follow the name's
  uint64_t length;             // bases
  uint64_t sequence_offset;    // uncompressed offset of the first base
  uint32_t line_bases;
  uint32_t line_bytes;
  uint64_t runs_begin;
  uint32_t runs_count;
  uint8_t alphabet;            // Alphabet
  uint8_t flags;               // RecordFlags
  uint8_t foreign_letter;
  uint8_t reserved;
  uint64_t foreign_position;
};
static_assert(sizeof(RecordEntry) == 64);

enum RecordFlags : uint8_t { fai_expressible = 1, has_gap_symbols = 2 };

/// A stretch of lines with one geometry: bases [first_base, next run's first_base) of the
/// record, the first at `offset`, `line_bases` a line, lines `line_bytes` apart.
struct GeometryRun {
  uint64_t first_base;
  uint64_t offset;
  uint32_t line_bases;
  uint32_t line_bytes;
};
static_assert(sizeof(GeometryRun) == 24);

struct SectionEntry {
  uint32_t kind;
  uint32_t flags;
  uint64_t offset;
  uint64_t size;
};
static_assert(sizeof(SectionEntry) == 24);

}  // namespace ofq::format
