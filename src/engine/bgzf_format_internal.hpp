// BGZF framing (SAM/BAM spec section 4.1) and htslib's .gzi index, byte by byte.
//
// A BGZF block is one gzip member whose header carries an extra subfield 'B','C' holding
// BSIZE = total block size - 1:
//
// @verbatim
// offset size field
// 0      4    1f 8b 08 04        gzip magic, CM deflate, FLG.FEXTRA
// 4      4    MTIME
// 8      1    XFL
// 9      1    OS
// 10     2    XLEN               total bytes of extra subfields (>= 6)
// 12     ...  subfields {SI1, SI2, u16 SLEN, data}; 'B','C', SLEN 2, u16 BSIZE among them
// 12+XLEN     raw deflate data   (BSIZE - XLEN - 19 bytes)
// end-8  4    CRC32 of the uncompressed block
// end-4  4    ISIZE, uncompressed size (<= 65536)
// @endverbatim
//
// The file ends with an empty block, k_eof_block. htslib's .gzi (bgzf_index_dump) is:
// u64 n, then n x {u64 compressed offset, u64 uncompressed offset} of every block start
// except the first (0, 0), all little-endian.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ofq::detail::bgzf {

inline constexpr std::array<unsigned char, 28> k_eof_block = {
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43,
    0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

inline constexpr size_t k_fixed_header = 12;   ///< bytes before the extra subfields
inline constexpr size_t k_trailer = 8;         ///< CRC32 + ISIZE
inline constexpr uint32_t k_max_isize = 65536; ///< a block never inflates to more

inline uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t le64(const unsigned char* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}
inline void put_le64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// Looks for the BC subfield in the header at b[0..n). Returns BSIZE + 1 (the block's total
/// size), or 0 when b is not a gzip header with FEXTRA and a well-formed BC subfield.
inline uint32_t block_size(const unsigned char* b, size_t n) {
  if (n < k_fixed_header || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || !(b[3] & 4)) return 0;
  const size_t xlen = le16(b + 10);
  if (n < k_fixed_header + xlen) return 0;
  size_t p = k_fixed_header;
  const size_t end = k_fixed_header + xlen;
  while (p + 4 <= end) {
    const size_t slen = le16(b + p + 2);
    if (p + 4 + slen > end) return 0;
    if (b[p] == 'B' && b[p + 1] == 'C' && slen == 2) return static_cast<uint32_t>(le16(b + p + 4)) + 1;
    p += 4 + slen;
  }
  return 0;
}

inline bool has_bc_subfield(const unsigned char* b, size_t n) { return block_size(b, n) != 0; }

struct GziEntry {
  uint64_t compressed;
  uint64_t uncompressed;
};

/// htslib's .gzi bytes for the blocks holding text, `starts` (the first is at text offset 0;
/// htslib leaves it out, and so do we). Empty when no block holds text: htslib would write
/// the count -1 there (bgzip -r on an empty file), which no reader accepts, so no .gzi is
/// written at all.
inline std::string make_gzi(const std::vector<GziEntry>& starts) {
  std::string out;
  if (starts.empty()) return out;
  const uint64_t n = starts.size() - 1;
  out.reserve(8 + 16 * n);
  put_le64(out, n);
  for (size_t i = 1; i < starts.size(); ++i) {
    put_le64(out, starts[i].compressed);
    put_le64(out, starts[i].uncompressed);
  }
  return out;
}

/// Parses .gzi bytes; false when they are not a well-formed, increasing .gzi. On success
/// `starts` holds {0, 0} followed by the file's entries.
inline bool parse_gzi(const std::string& bytes, std::vector<GziEntry>& starts) {
  starts.clear();
  if (bytes.size() < 8) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t n = le64(b);
  if (n > (bytes.size() - 8) / 16 || bytes.size() != 8 + 16 * n) return false;
  starts.reserve(n + 1);
  starts.push_back({0, 0});
  for (uint64_t i = 0; i < n; ++i) {
    GziEntry e{le64(b + 8 + 16 * i), le64(b + 16 + 16 * i)};
    if (e.compressed <= starts.back().compressed || e.uncompressed < starts.back().uncompressed)
      return false;
    starts.push_back(e);
  }
  return true;
}

}  // namespace ofq::detail::bgzf
