// The gzip checkpoint section of FILE.ofqi (kind format::gzip_checkpoints = 16), shared by
// the scan that writes it and the source that reads it. docs/formats-compressed.md repeats
// this with an example.
//
// All integers little-endian. Version 1:
//
// @verbatim
// offset size field
// 0      8    magic "OFQGZCP1"
// 8      4    section version (1)
// 12     4    piece bytes P (65536): uncompressed bytes covered by one CRC-32
// 16     8    spacing asked for (uncompressed bytes between checkpoints)
// 24     8    checkpoint count C
// 32     8    piece CRC count N
// 40     8    gzip member count (empty members included)
// 48     8    uncompressed size of the text
// 56     8    size of the .gz in bytes
// 64     8    offset of the window data from the section start
// 72     8    window data size in bytes
// 80     C x Checkpoint (40 bytes each, below), in increasing `out`
// ...    N x u32 CRC-32 of the pieces
// ...    zero padding to a multiple of 8
// ...    window data: each checkpoint's window, raw deflate (RFC 1951), back to back
// @endverbatim
//
// Checkpoint i covers the text [out_i, out_{i+1}) (the last up to the uncompressed size).
// Its span is cut into pieces of P bytes from out_i (the last piece may be shorter), and the
// CRC-32 of each is stored, first_piece_i the index of its first one: every byte decoded at
// extraction is checked, so a file changed or damaged after indexing gives an error, never
// wrong bases.
#pragma once

#include <cstdint>
#include <cstring>

namespace ofq::detail::gzip_index {

inline constexpr char k_magic[8] = {'O', 'F', 'Q', 'G', 'Z', 'C', 'P', '1'};
inline constexpr uint32_t k_version = 1;
inline constexpr uint32_t k_piece_bytes = 64u << 10;
inline constexpr uint32_t k_window_bytes = 32u << 10;  ///< deflate's maximum distance
inline constexpr size_t k_header_bytes = 80;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t piece_bytes;
  uint64_t spacing_bytes;
  uint64_t checkpoint_count;
  uint64_t piece_count;
  uint64_t member_count;
  uint64_t uncompressed_size;
  uint64_t compressed_size;
  uint64_t window_data_offset;
  uint64_t window_data_size;
};
static_assert(sizeof(Header) == k_header_bytes);

/// Where decoding can resume: a deflate block boundary.
struct Checkpoint {
  uint64_t out;            ///< uncompressed offset of the first byte the block yields
  uint64_t in_bit;         ///< bit offset in the .gz where the block starts (byte * 8 + bit, LSB first)
  uint64_t window_offset;  ///< into the window data
  uint32_t window_stored;  ///< compressed bytes of the window
  uint32_t window_size;    ///< uncompressed window bytes: min(32 KiB, out - start of its member)
  uint32_t member;         ///< 0-based gzip member holding the block
  uint32_t first_piece;    ///< index of its first piece CRC
};
static_assert(sizeof(Checkpoint) == 40);

}  // namespace ofq::detail::gzip_index

namespace ofq::detail {
/// Tests only: decode gzip spans with zlib even when ISA-L is built in (the fallback path).
void force_zlib_inflate_for_tests(bool on);
/// Whether new gzip sources decode with ISA-L.
bool gzip_extraction_uses_isal();
}  // namespace ofq::detail
