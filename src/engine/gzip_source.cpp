// Random access into plain gzip through a checkpoint index (the zran.c idea, our own format).
//
// Indexing is one pass with zlib in gzip mode: zlib parses every member's header and checks
// its CRC-32 and length, Z_BLOCK stops it at every deflate block boundary, and at the first
// boundary after each `spacing` bytes of output we record a checkpoint: the bit-exact
// position of the block and the 32 KiB of output before it (the window back-references may
// reach), stored compressed. Every uncompressed byte also goes into a CRC-32 per 64 KiB
// piece, so that extraction can check what it decodes: a file changed or damaged after
// indexing gives an error, never wrong bases. Byte layout: gzip_format_internal.hpp and
// docs/formats-compressed.md.
//
// Extraction resumes a raw deflate stream at a checkpoint with ISA-L (the window set as its
// dictionary, the bits of the block's first byte primed), or zlib when ISA-L is missing.
// Members that follow in the same span are framed by hand (trailer, zero padding, header)
// and decoded as fresh raw streams. Decoded spans are kept in a small LRU shared by all
// threads, so a batch sorted by offset decodes each checkpoint span once.
#include <libdeflate.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <thread>
#include <bit>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#ifdef OFQ_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "compressed_io_internal.hpp"
#include "gzip_format_internal.hpp"
#include "index_build_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"

static_assert(std::endian::native == std::endian::little, "the index formats are little-endian");

namespace ofq::detail {
namespace {

using gzip_index::Checkpoint;
using gzip_index::Header;
using gzip_index::k_piece_bytes;
using gzip_index::k_window_bytes;

constexpr size_t k_scan_read_bytes = 1u << 20;     // compressed bytes per read while indexing
constexpr size_t k_scan_out_bytes = 1u << 20;      // inflate output per call while indexing
constexpr size_t k_extract_read_bytes = 256u << 10;
constexpr int k_window_level = 1;  // libdeflate level for stored windows: 9 saves 4 % at 28x the time
constexpr uint64_t k_cache_bytes = 32ull << 20;    // decoded spans kept per source

std::atomic<bool> g_force_zlib{false};

std::string member_text(uint64_t member) { return "member " + std::to_string(member + 1); }

// ---------------------------------------------------------------------------------------
// Indexing
// ---------------------------------------------------------------------------------------

struct ZStream {
  z_stream zs{};
  ZStream() {
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw Error(Errc::internal, "zlib: inflateInit2 failed");
  }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;
  ~ZStream() { inflateEnd(&zs); }
};

struct Compressor {
  libdeflate_compressor* c = libdeflate_alloc_compressor(k_window_level);
  Compressor() {
    if (c == nullptr) throw Error(Errc::internal, "libdeflate: cannot allocate a compressor");
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  ~Compressor() { libdeflate_free_compressor(c); }
};

/// CRC-32 of every piece of every checkpoint span, in order.
class PieceCrcs {
public:
  void add(const unsigned char* p, size_t n) {
    while (n > 0) {
      const size_t take = std::min<size_t>(n, k_piece_bytes - fill_);
      crc_ = libdeflate_crc32(crc_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ == k_piece_bytes) flush();
    }
  }
  /// Ends the current piece (a new span starts here).
  void flush() {
    if (fill_ == 0) return;
    crcs.push_back(crc_);
    crc_ = 0;
    fill_ = 0;
  }
  std::vector<uint32_t> crcs;

private:
  uint32_t crc_ = 0;
  size_t fill_ = 0;
};

template <class T>
void append_pod(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

namespace {

/// The indexing pass runs on two cores: this thread inflates (zlib is the slow part), a
/// worker feeds the text to the scanner, cuts it into piece CRCs and compresses the
/// windows. They meet in a bounded queue of output chunks and checkpoint marks, in stream
/// order, so the worker sees exactly what a one-thread pass would.
class ScanPipe {
public:
  struct Item {
    std::vector<unsigned char> bytes;  ///< text, or the window of a checkpoint mark
    bool checkpoint = false;
    bool end = false;
  };

  explicit ScanPipe(const ScanInput& in) : in_(in), worker_([this] { run(); }) {}
  ScanPipe(const ScanPipe&) = delete;
  ScanPipe& operator=(const ScanPipe&) = delete;
  ~ScanPipe() {
    try {
      finish();
    } catch (...) {  // only on the way out of another exception
    }
  }

  /// Appends text (copied: the inflater reuses its buffer).
  void text(const unsigned char* p, size_t n) {
    while (n > 0) {
      if (current_.bytes.capacity() == 0) current_.bytes = take_buffer();
      const size_t room = k_chunk - current_.bytes.size();
      const size_t take = std::min(room, n);
      current_.bytes.insert(current_.bytes.end(), p, p + take);
      p += take;
      n -= take;
      if (current_.bytes.size() == k_chunk) flush();
    }
  }
  /// A checkpoint starts here; `window` is the text its block may refer back to.
  void checkpoint(const unsigned char* window, size_t n) {
    flush();
    Item mark;
    mark.checkpoint = true;
    mark.bytes.assign(window, window + n);
    push(std::move(mark));
  }
  /// Ends the stream and waits for the worker; rethrows what it threw.
  void finish() {
    if (finished_) return;
    finished_ = true;
    flush();
    Item e;
    e.end = true;
    push(std::move(e));
    worker_.join();
    if (error_) std::rethrow_exception(error_);
  }
  /// True when the worker failed: its error comes first in stream order, stop inflating.
  [[nodiscard]] bool failed() const {
    std::lock_guard lock(mu_);
    return error_ != nullptr;
  }

  // The worker's results, complete after finish().
  PieceCrcs pieces;
  std::vector<uint32_t> first_piece;  ///< per checkpoint
  std::vector<std::pair<uint64_t, uint32_t>> window_at;  ///< per checkpoint: offset, stored size
  std::string windows;

private:
  static constexpr size_t k_chunk = 1u << 20;
  static constexpr size_t k_depth = 8;

  std::vector<unsigned char> take_buffer() {
    std::unique_lock lock(mu_);
    if (!free_.empty()) {
      std::vector<unsigned char> b = std::move(free_.back());
      free_.pop_back();
      b.clear();
      return b;
    }
    std::vector<unsigned char> b;
    b.reserve(k_chunk);
    return b;
  }
  void flush() {
    if (current_.bytes.empty()) return;
    push(std::move(current_));
    current_ = Item{};
  }
  void push(Item item) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queue_.size() < k_depth || error_ != nullptr; });
    if (error_ != nullptr && !item.end) return;  // the worker stopped: drop, finish() rethrows
    queue_.push_back(std::move(item));
    ready_.notify_one();
  }
  void run() {
    Compressor comp;
    try {
      for (;;) {
        Item item;
        {
          std::unique_lock lock(mu_);
          ready_.wait(lock, [&] { return !queue_.empty(); });
          item = std::move(queue_.front());
          queue_.pop_front();
          room_.notify_one();
        }
        if (item.end) return;
        if (item.checkpoint) {
          pieces.flush();
          first_piece.push_back(static_cast<uint32_t>(pieces.crcs.size()));
          const uint64_t offset = windows.size();
          const uint32_t stored = compress(comp, item.bytes);
          window_at.emplace_back(offset, stored);
          continue;
        }
        in_.scanner.feed(reinterpret_cast<const char*>(item.bytes.data()), item.bytes.size());
        pieces.add(item.bytes.data(), item.bytes.size());
        std::lock_guard lock(mu_);
        if (free_.size() < k_depth) free_.push_back(std::move(item.bytes));
      }
    } catch (...) {
      std::lock_guard lock(mu_);
      error_ = std::current_exception();
      queue_.clear();
      room_.notify_all();
    }
  }
  uint32_t compress(Compressor& comp, const std::vector<unsigned char>& w) {
    if (w.empty()) return 0;
    const size_t bound = libdeflate_deflate_compress_bound(comp.c, w.size());
    const size_t at = windows.size();
    windows.resize(at + bound);
    const size_t stored = libdeflate_deflate_compress(comp.c, w.data(), w.size(), windows.data() + at, bound);
    if (stored == 0) throw Error(Errc::internal, "libdeflate: cannot compress a checkpoint window");
    windows.resize(at + stored);
    return static_cast<uint32_t>(stored);
  }

  const ScanInput& in_;
  Item current_;
  bool finished_ = false;
  mutable std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<Item> queue_;
  std::vector<std::vector<unsigned char>> free_;
  std::exception_ptr error_;
  std::thread worker_;  // last: starts once the rest is built
};

}  // namespace

ScanResult scan_gzip(const ScanInput& in) {
  const uint64_t spacing = in.options.gzip_spacing_bytes;
  if (spacing == 0) throw Error(Errc::bad_usage, "gzip checkpoint spacing must be at least 1 byte");

  ZStream z;
  z_stream& zs = z.zs;
  std::vector<Checkpoint> cps;
  ScanPipe pipe(in);

  PageBuffer ibuf(k_scan_read_bytes);
  uint64_t ibase = 0;     // file offset of ibuf[0]
  uint64_t file_off = 0;  // next file byte to read
  auto refill = [&]() -> bool {
    const size_t n = pread_full(in.fd, in.path, file_off, ibuf.data(), ibuf.size());
    if (n == 0) return false;
    in.stored_bytes(reinterpret_cast<const char*>(ibuf.data()), n);
    ibase = file_off;
    file_off += n;
    zs.next_in = ibuf.data();
    zs.avail_in = static_cast<uInt>(n);
    if (in.options.progress) in.options.progress(file_off, std::max(in.file_size, file_off));
    return true;
  };
  auto in_pos = [&]() -> uint64_t { return ibase + static_cast<uint64_t>(zs.next_in - ibuf.data()); };

  // Output: the newest 32 KiB are kept in front of each call's output (the windows).
  std::vector<unsigned char> obuf(k_window_bytes + k_scan_out_bytes);
  size_t ofill = 0;
  uint64_t out_total = 0;
  uint64_t member = 0;
  uint64_t member_out = 0;  // uncompressed offset where the current member starts
  uint64_t member_in = 0;   // file offset of its header

  auto add_checkpoint = [&]() {
    Checkpoint c{};
    c.out = out_total;
    c.in_bit = in_pos() * 8 - static_cast<uint64_t>(zs.data_type & 7);
    c.window_size = static_cast<uint32_t>(std::min<uint64_t>(k_window_bytes, out_total - member_out));
    c.member = static_cast<uint32_t>(member);
    cps.push_back(c);
    pipe.checkpoint(obuf.data() + ofill - c.window_size, c.window_size);
  };

  try {
    if (!refill()) {
      throw Error(Errc::corrupt_input, in.path + ": gzip stream is truncated at byte 0 (member 1): the file is empty");
    }
    for (;;) {
      // One member: zlib reads its header, deflate data and trailer.
      for (;;) {
        if (zs.avail_in == 0 && !refill()) {
          throw Error(Errc::corrupt_input,
                      in.path + ": gzip stream is truncated at byte " + std::to_string(file_off) + " (" +
                          member_text(member) + ", which starts at byte " + std::to_string(member_in) +
                          "): the file ends inside a compressed member; it was cut short (an "
                          "incomplete download or copy?)");
        }
        if (ofill == obuf.size()) {
          std::memmove(obuf.data(), obuf.data() + ofill - k_window_bytes, k_window_bytes);
          ofill = k_window_bytes;
        }
        zs.next_out = obuf.data() + ofill;
        zs.avail_out = static_cast<uInt>(obuf.size() - ofill);
        const int ret = inflate(&zs, Z_BLOCK);
        const size_t produced = obuf.size() - ofill - zs.avail_out;
        if (produced > 0) {
          pipe.text(obuf.data() + ofill, produced);
          ofill += produced;
          out_total += produced;
          if (pipe.failed()) break;
        }
        if (ret == Z_STREAM_END) break;
        if (ret == Z_BUF_ERROR) continue;  // needs input: the loop refills
        if (ret != Z_OK) {
          const std::string why = zs.msg != nullptr ? zs.msg : "inflate failed";
          if (ret == Z_MEM_ERROR) throw Error(Errc::internal, in.path + ": zlib ran out of memory");
          if (why == "incorrect data check" || why == "incorrect length check") {
            throw Error(Errc::corrupt_input,
                        in.path + ": gzip " + member_text(member) + " (starting at byte " +
                            std::to_string(member_in) + ") fails its " +
                            (why == "incorrect data check" ? "CRC-32" : "length") + " check at byte " +
                            std::to_string(in_pos()) + ": the file is corrupt");
          }
          throw Error(Errc::corrupt_input, in.path + ": gzip stream is corrupt at byte " +
                                               std::to_string(in_pos()) + " (" + member_text(member) +
                                               "): " + why);
        }
        // At a block boundary that is not the end of the member: a checkpoint if due.
        if ((zs.data_type & 128) != 0 && (zs.data_type & 64) == 0 &&
            (cps.empty() || out_total - cps.back().out >= spacing)) {
          add_checkpoint();
        }
      }
      if (pipe.failed()) break;
      ++member;

      // Between members: zero padding, then another member or the end of the file.
      bool at_end = false;
      for (;;) {
        if (zs.avail_in == 0 && !refill()) {
          at_end = true;
          break;
        }
        if (*zs.next_in != 0) break;
        ++zs.next_in;
        --zs.avail_in;
      }
      if (at_end) break;
      if (*zs.next_in != 0x1f) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", *zs.next_in);
        throw Error(Errc::corrupt_input,
                    in.path + ": unexpected byte " + hex + " at byte " + std::to_string(in_pos()) +
                        " after gzip " + member_text(member - 1) +
                        ": expected another gzip member (1f 8b) or the end of the file");
      }
      member_in = in_pos();
      member_out = out_total;
      if (inflateReset(&zs) != Z_OK) throw Error(Errc::internal, "zlib: inflateReset failed");
    }
  } catch (const Error&) {
    // The text before the damage may already be refused by the scanner: that comes first.
    pipe.finish();
    throw;
  }
  pipe.finish();

  PieceCrcs& pieces = pipe.pieces;
  pieces.flush();
  std::string& windows = pipe.windows;
  for (size_t i = 0; i < cps.size(); ++i) {
    cps[i].first_piece = pipe.first_piece[i];
    cps[i].window_offset = pipe.window_at[i].first;
    cps[i].window_stored = pipe.window_at[i].second;
  }
  while (!cps.empty() && cps.back().out == out_total) {
    // A checkpoint with nothing after it (trailing empty members): never needed.
    pieces.crcs.resize(cps.back().first_piece);
    windows.resize(cps.back().window_offset);
    cps.pop_back();
  }

  Header h{};
  std::memcpy(h.magic, gzip_index::k_magic, sizeof h.magic);
  h.version = gzip_index::k_version;
  h.piece_bytes = k_piece_bytes;
  h.spacing_bytes = spacing;
  h.checkpoint_count = cps.size();
  h.piece_count = pieces.crcs.size();
  h.member_count = member;
  h.uncompressed_size = out_total;
  h.compressed_size = file_off;
  size_t tables = sizeof(Header) + cps.size() * sizeof(Checkpoint) + pieces.crcs.size() * 4;
  tables = (tables + 7) / 8 * 8;
  h.window_data_offset = tables;
  h.window_data_size = windows.size();

  std::string bytes;
  bytes.reserve(tables + windows.size());
  append_pod(bytes, h);
  for (const Checkpoint& c : cps) append_pod(bytes, c);
  if (!pieces.crcs.empty()) bytes.append(reinterpret_cast<const char*>(pieces.crcs.data()), pieces.crcs.size() * 4);
  bytes.resize(tables, '\0');
  bytes += windows;

  ScanResult r;
  r.sections.push_back({format::gzip_checkpoints, std::move(bytes)});
  return r;
}

// ---------------------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------------------

namespace {

/// Thrown by a RawInflater for a bad deflate stream; the caller adds file and position.
struct InflateFailure {
  std::string why;
};

/// One raw deflate stream (RFC 1951) decoded in steps: ISA-L when built with it (unless
/// tests ask for zlib), else zlib.
class RawInflater {
public:
  struct Step {
    size_t consumed;   ///< input bytes taken
    size_t produced;
    bool finished;     ///< the final block's end was decoded
    size_t give_back;  ///< when finished: bytes taken but not part of the stream (read-ahead)
  };

  RawInflater() : isal_(use_isal()) {
#ifdef OFQ_HAVE_ISAL
    if (isal_) {
      st_ = std::make_unique<inflate_state>();
      return;
    }
#endif
    if (inflateInit2(&zs_, -15) != Z_OK) throw Error(Errc::internal, "zlib: inflateInit2 failed");
    zlib_ready_ = true;
  }
  RawInflater(const RawInflater&) = delete;
  RawInflater& operator=(const RawInflater&) = delete;
  ~RawInflater() {
    if (zlib_ready_) inflateEnd(&zs_);
  }

  /// A new stream: `dict` is the output before it, and the first `bits` (0..7) bits of input
  /// are the low bits of `value` (the rest of a byte a previous block ended in).
  void start(const unsigned char* dict, size_t dict_len, int bits, unsigned value) {
#ifdef OFQ_HAVE_ISAL
    if (isal_) {
      isal_inflate_init(st_.get());
      st_->crc_flag = ISAL_DEFLATE;
      if (dict_len > 0 && isal_inflate_set_dict(st_.get(), const_cast<uint8_t*>(dict),
                                                static_cast<uint32_t>(dict_len)) != ISAL_DECOMP_OK) {
        throw Error(Errc::internal, "ISA-L: cannot set the inflate dictionary");
      }
      st_->read_in = value;
      st_->read_in_length = bits;
      return;
    }
#endif
    if (inflateReset(&zs_) != Z_OK) throw Error(Errc::internal, "zlib: inflateReset failed");
    if (dict_len > 0 && inflateSetDictionary(&zs_, dict, static_cast<uInt>(dict_len)) != Z_OK)
      throw Error(Errc::internal, "zlib: cannot set the inflate dictionary");
    if (bits > 0 && inflatePrime(&zs_, bits, static_cast<int>(value)) != Z_OK)
      throw Error(Errc::internal, "zlib: inflatePrime failed");
  }

  Step step(const unsigned char* in, size_t in_len, unsigned char* out, size_t out_cap) {
    in_len = std::min<size_t>(in_len, 1u << 30);
    out_cap = std::min<size_t>(out_cap, 1u << 30);
#ifdef OFQ_HAVE_ISAL
    if (isal_) {
      st_->next_in = const_cast<uint8_t*>(in);
      st_->avail_in = static_cast<uint32_t>(in_len);
      st_->next_out = out;
      st_->avail_out = static_cast<uint32_t>(out_cap);
      const int ret = isal_inflate(st_.get());
      if (ret < 0 || ret == ISAL_NEED_DICT) throw InflateFailure{isal_error_text(ret)};
      Step s{static_cast<size_t>(st_->next_in - in), out_cap - st_->avail_out,
             st_->block_state == ISAL_BLOCK_FINISH, 0};
      // ISA-L reads whole bytes ahead into its bit buffer; at the end it keeps them there.
      if (s.finished) s.give_back = static_cast<size_t>(st_->read_in_length / 8);
      return s;
    }
#endif
    zs_.next_in = const_cast<Bytef*>(in);
    zs_.avail_in = static_cast<uInt>(in_len);
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(out_cap);
    const int ret = inflate(&zs_, Z_NO_FLUSH);
    if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
      throw InflateFailure{zs_.msg != nullptr ? zs_.msg : "inflate failed"};
    return Step{in_len - zs_.avail_in, out_cap - zs_.avail_out, ret == Z_STREAM_END, 0};
  }

private:
  static bool use_isal() {
#ifdef OFQ_HAVE_ISAL
    return !g_force_zlib.load(std::memory_order_relaxed);
#else
    return false;
#endif
  }
#ifdef OFQ_HAVE_ISAL
  static std::string isal_error_text(int ret) {
    switch (ret) {
      case ISAL_INVALID_BLOCK: return "invalid deflate block";
      case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
      case ISAL_NEED_DICT: return "dictionary needed";
      default: return "inflate failed (ISA-L error " + std::to_string(ret) + ")";
    }
  }
  std::unique_ptr<inflate_state> st_;
#endif
  bool isal_;
  bool zlib_ready_ = false;
  z_stream zs_{};
};

/// Compressed bytes read ahead from the file, addressed by file offset.
class Input {
public:
  Input(int fd, const std::string& path) : fd_(fd), path_(path), buf_(k_extract_read_bytes) {}
  void seek(uint64_t off) {
    if (off >= base_ && off <= base_ + end_) {
      pos_ = static_cast<size_t>(off - base_);
    } else {
      base_ = off;
      pos_ = end_ = 0;
    }
  }
  /// Reads more after what is buffered (keeping the unread bytes); false at end of file.
  bool more() {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      base_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    const size_t n = pread_full(fd_, path_, base_ + end_, buf_.data() + end_, buf_.size() - end_);
    end_ += n;
    return n > 0;
  }
  [[nodiscard]] const unsigned char* data() const { return buf_.data() + pos_; }
  [[nodiscard]] size_t avail() const { return end_ - pos_; }
  [[nodiscard]] uint64_t offset() const { return base_ + pos_; }
  void advance(size_t n) { pos_ += n; }

private:
  int fd_;
  const std::string& path_;
  std::vector<unsigned char> buf_;
  uint64_t base_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
};

/// Length of the gzip header at b[0..n) (RFC 1952 section 2.3), 0 if it needs more bytes.
/// Returns SIZE_MAX when the bytes are not a gzip header.
size_t gzip_header_length(const unsigned char* b, size_t n) {
  if (n >= 1 && b[0] != 0x1f) return SIZE_MAX;
  if (n >= 2 && b[1] != 0x8b) return SIZE_MAX;
  if (n >= 3 && b[2] != 8) return SIZE_MAX;
  if (n >= 4 && (b[3] & 0xe0) != 0) return SIZE_MAX;
  if (n < 10) return 0;
  const unsigned flg = b[3];
  size_t p = 10;
  if (flg & 4) {
    if (n < p + 2) return 0;
    p += 2 + static_cast<size_t>(b[p] | (b[p + 1] << 8));
  }
  for (unsigned bit : {8u, 16u}) {  // FNAME, FCOMMENT: zero-terminated
    if (flg & bit) {
      if (p >= n) return 0;
      const void* z = std::memchr(b + p, 0, n - p);
      if (z == nullptr) return 0;
      p = static_cast<size_t>(static_cast<const unsigned char*>(z) - b) + 1;
    }
  }
  if (flg & 2) p += 2;  // FHCRC
  return p <= n ? p : 0;
}

/// What the index says about the file, viewed in the mapped section.
struct CheckpointTable {
  Header header{};
  std::vector<Checkpoint> cps;
  std::vector<uint32_t> crcs;
  const unsigned char* windows = nullptr;

  [[nodiscard]] uint64_t span_end(size_t i) const {
    return i + 1 < cps.size() ? cps[i + 1].out : header.uncompressed_size;
  }
};

CheckpointTable read_table(const std::string& path, const FastaIndex& index) {
  const auto raw = index.section(format::gzip_checkpoints);
  auto bad = [&](const std::string& why) {
    return Error(Errc::bad_index, index.path() + ": the gzip checkpoints of " + path + " are damaged (" +
                                      why + "); rebuild with `ofq index " + path + "`");
  };
  if (raw.empty()) {
    throw Error(Errc::bad_index, index.path() + ": holds no gzip checkpoints for " + path +
                                     "; rebuild with `ofq index " + path + "`");
  }
  const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
  CheckpointTable t;
  if (raw.size() < sizeof(Header)) throw bad("section shorter than its header");
  std::memcpy(&t.header, b, sizeof(Header));
  const Header& h = t.header;
  if (std::memcmp(h.magic, gzip_index::k_magic, sizeof h.magic) != 0) throw bad("bad magic");
  if (h.version != gzip_index::k_version) {
    throw Error(Errc::bad_index, index.path() + ": gzip checkpoint format version " +
                                     std::to_string(h.version) + " is not " +
                                     std::to_string(gzip_index::k_version) + "; rebuild with `ofq index " +
                                     path + "`");
  }
  if (h.piece_bytes != k_piece_bytes) throw bad("unexpected piece size");
  const uint64_t n = raw.size();
  if (h.checkpoint_count > n / sizeof(Checkpoint) || h.piece_count > n / 4) throw bad("counts too large");
  const uint64_t tables = sizeof(Header) + h.checkpoint_count * sizeof(Checkpoint) + h.piece_count * 4;
  if (h.window_data_offset < tables || h.window_data_offset > n ||
      h.window_data_size > n - h.window_data_offset)
    throw bad("window data out of bounds");
  if (h.uncompressed_size != index.uncompressed_size()) throw bad("uncompressed size disagrees with the index");
  t.cps.resize(h.checkpoint_count);
  if (!t.cps.empty()) std::memcpy(t.cps.data(), b + sizeof(Header), t.cps.size() * sizeof(Checkpoint));
  t.crcs.resize(h.piece_count);
  if (!t.crcs.empty())
    std::memcpy(t.crcs.data(), b + sizeof(Header) + h.checkpoint_count * sizeof(Checkpoint), t.crcs.size() * 4);
  t.windows = b + h.window_data_offset;
  if (h.uncompressed_size > 0 && (t.cps.empty() || t.cps[0].out != 0)) throw bad("no checkpoint at offset 0");
  uint64_t expect_piece = 0;
  for (size_t i = 0; i < t.cps.size(); ++i) {
    const Checkpoint& c = t.cps[i];
    const uint64_t end = t.span_end(i);
    if (end <= c.out) throw bad("checkpoints out of order at #" + std::to_string(i));
    if (c.first_piece != expect_piece) throw bad("piece table out of step at #" + std::to_string(i));
    expect_piece += (end - c.out + k_piece_bytes - 1) / k_piece_bytes;
    if (c.window_size > k_window_bytes || c.window_offset > h.window_data_size ||
        c.window_stored > h.window_data_size - c.window_offset || (c.window_size > 0) != (c.window_stored > 0))
      throw bad("window of checkpoint #" + std::to_string(i) + " out of bounds");
    if (c.in_bit / 8 >= h.compressed_size) throw bad("checkpoint #" + std::to_string(i) + " past the file end");
  }
  if (expect_piece != h.piece_count) throw bad("piece count disagrees with the checkpoints");
  return t;
}

/// The decoded text of one checkpoint span, filled on demand and kept for the next reads.
struct Span {
  explicit Span(size_t cp_index, uint64_t bytes)
      : cp(cp_index), size(bytes), data(std::make_unique_for_overwrite<unsigned char[]>(bytes)) {}
  std::mutex mu;
  size_t cp;
  uint64_t size;
  std::unique_ptr<unsigned char[]> data;
  uint64_t decoded = 0;   ///< bytes of data written
  uint64_t verified = 0;  ///< bytes checked against the piece CRCs
  // Decoder state, dropped once the span is complete.
  std::unique_ptr<RawInflater> inflater;
  std::unique_ptr<Input> input;
  uint64_t member = 0;
  bool between_members = false;
};

class GzipSource final : public ByteSource {
public:
  GzipSource(const std::string& path, const FastaIndex& index)
      : path_(path), fd_(path), table_(read_table(path, index)) {
    uint64_t widest = 1;
    for (size_t i = 0; i < table_.cps.size(); ++i) widest = std::max(widest, table_.span_end(i) - table_.cps[i].out);
    capacity_ = static_cast<size_t>(std::max<uint64_t>(2, k_cache_bytes / widest));
  }

  void read_at(uint64_t offset, std::span<char> out) const override {
    const uint64_t size = table_.header.uncompressed_size;
    if (offset > size || out.size() > size - offset) {
      throw Error(Errc::corrupt_input, path_ + ": read of bytes " + std::to_string(offset) + "-" +
                                           std::to_string(offset + out.size()) + " past the end of the text (" +
                                           std::to_string(size) + " bytes); " + reindex_hint(path_));
    }
    uint64_t pos = offset;
    size_t done = 0;
    while (done < out.size()) {
      const size_t i = checkpoint_for(pos);
      const uint64_t begin = table_.cps[i].out;
      const uint64_t rel = pos - begin;
      const uint64_t take = std::min<uint64_t>(out.size() - done, table_.span_end(i) - pos);
      std::shared_ptr<Span> s = span(i);
      std::lock_guard lock(s->mu);
      try {
        ensure(*s, rel + take);
      } catch (...) {
        forget(s);
        throw;
      }
      std::memcpy(out.data() + done, s->data.get() + rel, take);
      done += take;
      pos += take;
    }
  }

  [[nodiscard]] uint64_t size() const noexcept override { return table_.header.uncompressed_size; }
  [[nodiscard]] uint64_t access_granularity() const noexcept override {
    return std::max<uint64_t>(1, table_.header.spacing_bytes);
  }

private:
  [[nodiscard]] size_t checkpoint_for(uint64_t pos) const {
    auto it = std::upper_bound(table_.cps.begin(), table_.cps.end(), pos,
                               [](uint64_t p, const Checkpoint& c) { return p < c.out; });
    return static_cast<size_t>(it - table_.cps.begin()) - 1;  // cps[0].out == 0 <= pos
  }

  std::shared_ptr<Span> span(size_t i) const {
    std::lock_guard lock(cache_mu_);
    for (auto it = lru_.begin(); it != lru_.end(); ++it) {
      if ((*it)->cp == i) {
        lru_.splice(lru_.begin(), lru_, it);
        return lru_.front();
      }
    }
    lru_.push_front(std::make_shared<Span>(i, table_.span_end(i) - table_.cps[i].out));
    while (lru_.size() > capacity_) lru_.pop_back();  // a reader still holding it keeps it alive
    return lru_.front();
  }

  void forget(const std::shared_ptr<Span>& s) const {
    std::lock_guard lock(cache_mu_);
    lru_.remove(s);
  }

  /// "is truncated at byte N": where the file ends now, if before the read that failed.
  [[nodiscard]] std::string truncated_at(uint64_t offset) const {
    struct stat st{};
    if (::fstat(fd_.get(), &st) == 0 && static_cast<uint64_t>(st.st_size) < offset)
      offset = static_cast<uint64_t>(st.st_size);
    return "is truncated at byte " + std::to_string(offset);
  }

  [[noreturn]] void fail_stream(const Span& s, const std::string& what) const {
    throw Error(Errc::corrupt_input, path_ + ": gzip stream " + what + " (" + member_text(s.member) +
                                         ", text offset " + std::to_string(table_.cps[s.cp].out + s.decoded) +
                                         "): " + reindex_hint(path_));
  }

  /// Decodes span `s` until its first `need` bytes are decoded and verified.
  void ensure(Span& s, uint64_t need) const {
    need = std::min(s.size, (need + k_piece_bytes - 1) / k_piece_bytes * k_piece_bytes);
    if (s.verified >= need) return;
    const Checkpoint& cp = table_.cps[s.cp];
    if (!s.inflater) start(s, cp);
    Input& in = *s.input;
    while (s.verified < need) {
      if (s.between_members) {
        next_member(s);
        continue;
      }
      if (in.avail() == 0 && !in.more()) fail_stream(s, truncated_at(in.offset()));
      RawInflater::Step st{};
      try {
        st = s.inflater->step(in.data(), in.avail(), s.data.get() + s.decoded, s.size - s.decoded);
      } catch (const InflateFailure& f) {
        fail_stream(s, "is corrupt near byte " + std::to_string(in.offset()) + ": " + f.why);
      }
      const uint64_t at = in.offset();
      in.advance(st.consumed);
      if (st.finished && st.give_back > 0) in.seek(at + st.consumed - st.give_back);
      s.decoded += st.produced;
      verify(s);
      if (st.finished) {
        s.between_members = true;
      } else if (st.consumed == 0 && st.produced == 0 && !in.more()) {
        fail_stream(s, truncated_at(in.offset()));
      }
    }
    if (s.decoded == s.size) {
      s.inflater.reset();
      s.input.reset();
    }
  }

  void start(Span& s, const Checkpoint& cp) const {
    s.inflater = std::make_unique<RawInflater>();
    s.input = std::make_unique<Input>(fd_.get(), path_);
    s.member = cp.member;
    unsigned char window[k_window_bytes];
    if (cp.window_size > 0) {
      struct D {
        libdeflate_decompressor* d = libdeflate_alloc_decompressor();
        ~D() { libdeflate_free_decompressor(d); }
      } dec;
      if (dec.d == nullptr) throw Error(Errc::internal, "libdeflate: cannot allocate a decompressor");
      if (libdeflate_deflate_decompress(dec.d, table_.windows + cp.window_offset, cp.window_stored, window,
                                        cp.window_size, nullptr) != LIBDEFLATE_SUCCESS) {
        throw Error(Errc::bad_index, path_ + ": the window of gzip checkpoint #" + std::to_string(s.cp) +
                                         " in the index is damaged; rebuild with `ofq index " + path_ + "`");
      }
    }
    const int skip = static_cast<int>(cp.in_bit % 8);
    Input& in = *s.input;
    in.seek(cp.in_bit / 8);
    unsigned value = 0;
    if (skip > 0) {
      if (in.avail() == 0 && !in.more()) fail_stream(s, truncated_at(in.offset()));
      value = in.data()[0] >> skip;
      in.advance(1);
    }
    s.inflater->start(window, cp.window_size, skip > 0 ? 8 - skip : 0, value);
  }

  /// After a member's deflate data: its 8-byte trailer, zero padding, the next header.
  void next_member(Span& s) const {
    Input& in = *s.input;
    while (in.avail() < 8) {
      if (!in.more()) fail_stream(s, truncated_at(in.offset() + in.avail()));
    }
    in.advance(8);  // CRC-32 and ISIZE: the piece CRCs check the bytes instead
    for (;;) {
      if (in.avail() == 0 && !in.more()) {
        fail_stream(s, "ends at byte " + std::to_string(in.offset()) + " before the text the index describes");
      }
      const unsigned char* p = in.data();
      const unsigned char* q = std::find_if(p, p + in.avail(), [](unsigned char c) { return c != 0; });
      in.advance(static_cast<size_t>(q - p));
      if (in.avail() > 0) break;
    }
    for (;;) {
      const size_t len = gzip_header_length(in.data(), in.avail());
      if (len == SIZE_MAX) fail_stream(s, "has no gzip member header at byte " + std::to_string(in.offset()));
      if (len > 0) {
        in.advance(len);
        break;
      }
      if (!in.more()) fail_stream(s, truncated_at(in.offset() + in.avail()));
    }
    ++s.member;
    s.inflater->start(nullptr, 0, 0, 0);
    s.between_members = false;
  }

  void verify(Span& s) const {
    const Checkpoint& cp = table_.cps[s.cp];
    while (s.verified < s.decoded) {
      const uint64_t len = std::min<uint64_t>(k_piece_bytes, s.size - s.verified);
      if (s.decoded - s.verified < len) return;
      const uint32_t crc = libdeflate_crc32(0, s.data.get() + s.verified, len);
      const uint64_t piece = cp.first_piece + s.verified / k_piece_bytes;
      if (crc != table_.crcs[piece]) {
        const uint64_t at = cp.out + s.verified;
        throw Error(Errc::corrupt_input, path_ + ": text bytes " + std::to_string(at) + "-" +
                                             std::to_string(at + len) +
                                             " decoded from the gzip stream fail their CRC-32 check "
                                             "against the index: " + reindex_hint(path_));
      }
      s.verified += len;
    }
  }

  std::string path_;
  ReadFd fd_;
  CheckpointTable table_;
  size_t capacity_ = 2;
  mutable std::mutex cache_mu_;
  mutable std::list<std::shared_ptr<Span>> lru_;
};

}  // namespace

void force_zlib_inflate_for_tests(bool on) { g_force_zlib.store(on); }

bool gzip_extraction_uses_isal() {
#ifdef OFQ_HAVE_ISAL
  return !g_force_zlib.load();
#else
  return false;
#endif
}

std::unique_ptr<ByteSource> open_gzip_source(const std::string& path, const FastaIndex& index) {
  return std::make_unique<GzipSource>(path, index);
}

}  // namespace ofq::detail
