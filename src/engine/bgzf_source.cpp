// Random access into BGZF (bgzip) files: every block is its own gzip member of at most
// 64 KiB of text, so reaching any byte costs one block's inflate.
//
// Indexing walks the block headers in file order, inflates each block with libdeflate and
// checks its CRC-32 and length, feeds the text to the scanner, and keeps the start of every
// non-empty block. From that list come both our section (kind format::bgzf_blocks) and
// htslib's .gzi (bgzf_format_internal.hpp), so samtools reads the file with our index.
//
// Section layout, all little-endian (docs/formats-compressed.md repeats it):
//
// @verbatim
// offset size field
// 0      8    magic "OFQBGZF1"
// 8      4    section version (1)
// 12     4    reserved, zero
// 16     8    block count B (blocks holding text; empty blocks are left out, as in .gzi)
// 24     8    uncompressed size of the text
// 32     8    size of the file in bytes
// 40     B x {u64 compressed offset of the block header, u64 uncompressed offset}
// @endverbatim
//
// Extraction finds the block by binary search on the uncompressed offsets, reads it with
// one pread, and inflates it with libdeflate; decoded blocks are kept in a small LRU
// shared by the threads of a batch, so sorted positions decode each block once.
#include <libdeflate.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bgzf_format_internal.hpp"
#include "compressed_io_internal.hpp"
#include "index_build_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"

static_assert(std::endian::native == std::endian::little, "the index formats are little-endian");

namespace ofq::detail {
namespace {

using bgzf::GziEntry;

constexpr char k_magic[8] = {'O', 'F', 'Q', 'B', 'G', 'Z', 'F', '1'};
constexpr uint32_t k_version = 1;
constexpr size_t k_header_bytes = 40;
constexpr size_t k_max_block = 65536;          // BSIZE is 16 bits: BSIZE + 1 <= 65536
constexpr size_t k_scan_read_bytes = 4u << 20;
constexpr size_t k_cache_blocks = 256;         // 16 MiB of decoded text

struct Decompressor {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  Decompressor() {
    if (d == nullptr) throw Error(Errc::internal, "libdeflate: cannot allocate a decompressor");
  }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  ~Decompressor() { libdeflate_free_decompressor(d); }
};

/// Why block bytes b[0..n) (one whole block) do not inflate to `out`; empty when they do.
/// On success `out_size` is the block's text size.
std::string inflate_block(libdeflate_decompressor* d, const unsigned char* b, size_t n,
                          unsigned char* out, size_t& out_size) {
  const size_t hdr = bgzf::k_fixed_header + bgzf::le16(b + 10);
  if (n < hdr + bgzf::k_trailer) return "block shorter than its header and trailer";
  const uint32_t crc = bgzf::le32(b + n - 8);
  const uint32_t isize = bgzf::le32(b + n - 4);
  if (isize > bgzf::k_max_isize) return "block claims " + std::to_string(isize) + " bytes of text (at most 65536)";
  size_t actual = 0;
  const auto r = libdeflate_deflate_decompress(d, b + hdr, n - hdr - bgzf::k_trailer, out, isize, &actual);
  if (r != LIBDEFLATE_SUCCESS) return r == LIBDEFLATE_BAD_DATA ? "invalid deflate data" : "deflate data inflates past the size in the block trailer";
  if (actual != isize) return "block inflates to " + std::to_string(actual) + " bytes, its trailer says " + std::to_string(isize);
  if (libdeflate_crc32(0, out, actual) != crc) return "CRC-32 mismatch";
  out_size = actual;
  return {};
}

void put_u64(std::string& s, uint64_t v) { bgzf::put_le64(s, v); }

}  // namespace

ScanResult scan_bgzf(const ScanInput& in) {
  Decompressor dec;
  std::vector<unsigned char> buf(k_scan_read_bytes + k_max_block);
  std::vector<unsigned char> text(k_max_block);
  uint64_t base = 0;  // file offset of buf[0]
  size_t pos = 0, end = 0;
  uint64_t file_off = 0;
  bool eof = false;
  auto more = [&]() {
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, end - pos);
      base += pos;
      end -= pos;
      pos = 0;
    }
    const size_t n = pread_full(in.fd, in.path, file_off, buf.data() + end, buf.size() - end);
    if (n == 0) {
      eof = true;
      return;
    }
    in.stored_bytes(reinterpret_cast<const char*>(buf.data() + end), n);
    end += n;
    file_off += n;
    if (in.options.progress) in.options.progress(file_off, std::max(in.file_size, file_off));
  };

  std::vector<GziEntry> blocks;
  uint64_t out_total = 0;
  uint64_t block_no = 0;
  for (;;) {
    if (end - pos < 18 && !eof) more();
    if (pos == end && eof) break;
    const uint64_t at = base + pos;
    const unsigned char* b = buf.data() + pos;
    const size_t avail = end - pos;
    auto fail = [&](const std::string& why) -> Error {
      return Error(Errc::corrupt_input, in.path + ": BGZF block " + std::to_string(block_no + 1) +
                                            " at byte " + std::to_string(at) + ": " + why);
    };
    if (avail < 18) throw fail("the file ends " + std::to_string(avail) + " bytes into a block header (truncated)");
    const uint32_t bsize = bgzf::block_size(b, avail);
    if (bsize == 0) {
      throw fail(b[0] == 0x1f && b[1] == 0x8b
                     ? "a gzip member without the BGZF 'BC' field; the file mixes BGZF and plain gzip: "
                       "recompress it with bgzip"
                     : "not a BGZF block header (expected 1f 8b 08 04 ... 'BC'); the file is damaged");
    }
    while (end - pos < bsize && !eof) more();
    if (end - pos < bsize) {
      throw Error(Errc::corrupt_input, in.path + ": BGZF stream is truncated at byte " + std::to_string(base + end) +
                                           " (block " + std::to_string(block_no + 1) + " at byte " +
                                           std::to_string(at) + " needs " + std::to_string(bsize) + " bytes)");
    }
    size_t n = 0;
    const std::string why = inflate_block(dec.d, buf.data() + pos, bsize, text.data(), n);
    if (!why.empty()) throw fail(why + "; the file is corrupt");
    if (n > 0) {
      blocks.push_back({at, out_total});
      in.scanner.feed(reinterpret_cast<const char*>(text.data()), n);
      out_total += n;
    }
    pos += bsize;
    ++block_no;
  }

  std::string sec;
  sec.append(k_magic, 8);
  sec.append(reinterpret_cast<const char*>(&k_version), 4);
  sec.append(4, '\0');
  put_u64(sec, blocks.size());
  put_u64(sec, out_total);
  put_u64(sec, file_off);
  for (const GziEntry& e : blocks) {
    put_u64(sec, e.compressed);
    put_u64(sec, e.uncompressed);
  }

  ScanResult r;
  r.sections.push_back({format::bgzf_blocks, std::move(sec)});
  r.gzi_bytes = bgzf::make_gzi(blocks);
  return r;
}

namespace {

class BgzfSource final : public ByteSource {
public:
  BgzfSource(const std::string& path, const FastaIndex& index) : path_(path), fd_(path) {
    const auto raw = index.section(format::bgzf_blocks);
    auto bad = [&](const std::string& why) {
      return Error(Errc::bad_index, index.path() + ": the BGZF block table of " + path + " is damaged (" + why +
                                        "); rebuild with `ofq index " + path + "`");
    };
    if (raw.empty()) {
      throw Error(Errc::bad_index, index.path() + ": holds no BGZF block table for " + path +
                                       "; rebuild with `ofq index " + path + "`");
    }
    const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
    if (raw.size() < k_header_bytes || std::memcmp(b, k_magic, 8) != 0) throw bad("bad magic");
    if (bgzf::le32(b + 8) != k_version) {
      throw Error(Errc::bad_index, index.path() + ": BGZF block table version " + std::to_string(bgzf::le32(b + 8)) +
                                       " is not " + std::to_string(k_version) + "; rebuild with `ofq index " +
                                       path + "`");
    }
    const uint64_t count = bgzf::le64(b + 16);
    size_ = bgzf::le64(b + 24);
    file_size_ = bgzf::le64(b + 32);
    if (count > (raw.size() - k_header_bytes) / 16 || raw.size() != k_header_bytes + 16 * count)
      throw bad("size disagrees with the block count");
    if (size_ != index.uncompressed_size()) throw bad("uncompressed size disagrees with the index");
    blocks_.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      blocks_[i] = {bgzf::le64(b + k_header_bytes + 16 * i), bgzf::le64(b + k_header_bytes + 16 * i + 8)};
      if (i > 0 && (blocks_[i].compressed <= blocks_[i - 1].compressed ||
                    blocks_[i].uncompressed <= blocks_[i - 1].uncompressed))
        throw bad("blocks out of order at #" + std::to_string(i));
      if (blocks_[i].compressed >= file_size_) throw bad("block #" + std::to_string(i) + " past the file end");
    }
    if (size_ > 0 && (blocks_.empty() || blocks_[0].uncompressed != 0 || blocks_.back().uncompressed >= size_))
      throw bad("blocks do not cover the text");
    if (size_ - (blocks_.empty() ? 0 : blocks_.back().uncompressed) > bgzf::k_max_isize)
      throw bad("last block too large");
  }

  void read_at(uint64_t offset, std::span<char> out) const override {
    if (offset > size_ || out.size() > size_ - offset) {
      throw Error(Errc::corrupt_input, path_ + ": read of bytes " + std::to_string(offset) + "-" +
                                           std::to_string(offset + out.size()) + " past the end of the text (" +
                                           std::to_string(size_) + " bytes); " + reindex_hint(path_));
    }
    size_t done = 0;
    uint64_t pos = offset;
    while (done < out.size()) {
      auto it = std::upper_bound(blocks_.begin(), blocks_.end(), pos,
                                 [](uint64_t p, const GziEntry& e) { return p < e.uncompressed; });
      const size_t i = static_cast<size_t>(it - blocks_.begin()) - 1;
      std::shared_ptr<const std::vector<unsigned char>> text = block(i);
      const uint64_t rel = pos - blocks_[i].uncompressed;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(out.size() - done, text->size() - rel));
      std::memcpy(out.data() + done, text->data() + rel, take);
      done += take;
      pos += take;
    }
  }

  [[nodiscard]] uint64_t size() const noexcept override { return size_; }
  [[nodiscard]] uint64_t access_granularity() const noexcept override { return bgzf::k_max_isize; }

private:
  using Text = std::shared_ptr<const std::vector<unsigned char>>;

  [[nodiscard]] uint64_t block_text_size(size_t i) const {
    return (i + 1 < blocks_.size() ? blocks_[i + 1].uncompressed : size_) - blocks_[i].uncompressed;
  }

  Text block(size_t i) const {
    {
      std::lock_guard lock(mu_);
      if (auto it = cache_.find(i); it != cache_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.second);
        return it->second.first;
      }
    }
    Text t = decode(i);  // outside the lock: the other thread decodes its own block meanwhile
    std::lock_guard lock(mu_);
    if (cache_.find(i) == cache_.end()) {
      lru_.push_front(i);
      cache_.emplace(i, std::make_pair(t, lru_.begin()));
      while (cache_.size() > k_cache_blocks) {
        cache_.erase(lru_.back());
        lru_.pop_back();
      }
    }
    return t;
  }

  Text decode(size_t i) const {
    const uint64_t at = blocks_[i].compressed;
    auto fail = [&](const std::string& why) -> Error {
      return Error(Errc::corrupt_input, path_ + ": BGZF block at byte " + std::to_string(at) + " (text offset " +
                                            std::to_string(blocks_[i].uncompressed) + "): " + why + "; " +
                                            reindex_hint(path_));
    };
    thread_local std::vector<unsigned char> raw;
    raw.resize(k_max_block);
    const size_t got = pread_full(fd_.get(), path_, at, raw.data(), raw.size());
    if (got < 18) throw fail("the file ends at byte " + std::to_string(at + got) + " (truncated)");
    const uint32_t bsize = bgzf::block_size(raw.data(), got);
    if (bsize == 0) throw fail("no BGZF block header there");
    if (got < bsize) throw fail("the file ends at byte " + std::to_string(at + got) + " inside the block (truncated)");
    thread_local std::unique_ptr<Decompressor> dec;
    if (!dec) dec = std::make_unique<Decompressor>();
    auto text = std::make_shared<std::vector<unsigned char>>(k_max_block);
    size_t n = 0;
    const std::string why = inflate_block(dec->d, raw.data(), bsize, text->data(), n);
    if (!why.empty()) throw fail(why);
    if (n != block_text_size(i)) {
      throw fail("the block holds " + std::to_string(n) + " bytes of text, the index says " +
                 std::to_string(block_text_size(i)));
    }
    text->resize(n);
    return text;
  }

  std::string path_;
  ReadFd fd_;
  std::vector<GziEntry> blocks_;
  uint64_t size_ = 0;
  uint64_t file_size_ = 0;
  mutable std::mutex mu_;
  mutable std::list<size_t> lru_;
  mutable std::unordered_map<size_t, std::pair<Text, std::list<size_t>::iterator>> cache_;
};

}  // namespace

std::unique_ptr<ByteSource> open_bgzf_source(const std::string& path, const FastaIndex& index) {
  return std::make_unique<BgzfSource>(path, index);
}

}  // namespace ofq::detail
