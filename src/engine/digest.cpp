// Refget digests of each record, computed in their own pass and kept in a sidecar file.
//
// FILE.ofqi.digests, version 1 (docs/formats-digests.md). All integers little-endian.
// It holds what section kind 32 (format::digests) would hold; it is a sidecar because the
// index is mapped read-only while it serves, and the pass runs in the background after it.
//
// @verbatim
// offset size field
// 0      8    magic "\x89OFQD\r\n\x1a"
// 8      4    version (1)
// 12     4    header size (64)
// 16     8    record count (as the index says)
// 24     8    FASTA file size as stored          } copied from the index header: the sidecar
// 32     16   content fingerprint (XXH3-128)     } is trusted only for the index (and so the
// 48     8    XXH3-64 of the index's full hash   } file) it was computed from
// 56     4    state: 0 partial (.partial file), 1 complete
// 60     4    XXH32 of bytes 0..59
// 64     48 x record count entries:
//        0  1  state (DigestState: 0 pending, 1 done, 2 not served: holds - . *)
//        1  3  zero
//        4  4  XXH32 of (u32 record id, state byte, the 40 digest bytes)
//        8  16 md5 of the normalised sequence
//        24 24 first 24 bytes of its SHA-512 (sha512t24u / TRUNC512)
// @endverbatim
//
// The pass: records shorter than k_big_record_bases are cut into chunks of consecutive
// records (about chunk_bases bases each) that two threads take in turn, each thread hashing
// md5 then SHA-512 of a record's bases while they are in cache; a longer record is hashed by
// both threads at once (SHA-512 on one, md5 on the other, on the same normalised pieces).
// Bases are read from the sample's byte source in large blocks and normalised here (letters
// kept, uppercased) without going through the line geometry: the index gives where each
// record's sequence starts and how many letters it has. After each chunk its entries are
// written to FILE.ofqi.digests.partial, so a killed pass resumes at the chunk it was in.
#include "ofq/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "ofq/error.hpp"
#include "ofq/index_format.hpp"
#include "ofq/sample.hpp"

namespace ofq {
namespace {

constexpr char k_digest_magic[8] = {'\x89', 'O', 'F', 'Q', 'D', '\r', '\n', '\x1a'};
constexpr uint32_t k_digest_version = 1;
constexpr uint32_t k_digest_header = 64;
constexpr size_t k_entry_bytes = 48;
constexpr uint64_t k_big_record_bases = 16ull << 20;
constexpr uint64_t k_chunk_bases = 8ull << 20;
constexpr size_t k_piece_bases = 1u << 20;  // normalised bytes hashed per update

// ---- hashing ---------------------------------------------------------------------------

const EVP_MD* md5_algo() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md ? md : EVP_md5();
}
const EVP_MD* sha512_algo() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  return md ? md : EVP_sha512();
}

/// One running hash.
class Hasher {
public:
  explicit Hasher(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()), md_(md) {
    if (!ctx_) throw Error(Errc::internal, "cannot allocate an OpenSSL digest context");
    reset();
  }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  ~Hasher() { EVP_MD_CTX_free(ctx_); }

  void reset() {
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1)
      throw Error(Errc::internal, "OpenSSL digest initialisation failed");
  }
  void update(const char* p, size_t n) {
    if (n && EVP_DigestUpdate(ctx_, p, n) != 1)
      throw Error(Errc::internal, "OpenSSL digest update failed");
  }
  /// Writes the first out_n bytes of the digest, then resets.
  void finish(uint8_t* out, size_t out_n) {
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, full, &len) != 1 || len < out_n)
      throw Error(Errc::internal, "OpenSSL digest finalisation failed");
    std::memcpy(out, full, out_n);
    reset();
  }

private:
  EVP_MD_CTX* ctx_;
  const EVP_MD* md_;
};

struct HasherPair {
  Hasher md5{md5_algo()};
  Hasher sha{sha512_algo()};
  void update(const char* p, size_t n) {
    md5.update(p, n);
    sha.update(p, n);
  }
  void finish(SequenceDigest& d) {
    md5.finish(d.md5.data(), d.md5.size());
    sha.finish(d.sha512t24.data(), d.sha512t24.size());
  }
};

// ---- normalisation ---------------------------------------------------------------------

// Byte classes: 0 skipped (whitespace, and anything refget drops), 1 letter, 2 '>'.
struct ByteTable {
  uint8_t cls[256] = {};
  char upper[256] = {};
  ByteTable() {
    for (int c = 0; c < 256; ++c) {
      upper[c] = static_cast<char>(c);
      if (c >= 'a' && c <= 'z') upper[c] = static_cast<char>(c - 32);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) cls[c] = 1;
    }
    cls[static_cast<unsigned char>('>')] = 2;
  }
};
const ByteTable& bytes_table() {
  static const ByteTable t;
  return t;
}

/// True when every byte of [p, p + n) is 'A' (0x41) or above: in a record the scanner
/// accepted, that means letters only (whitespace, '>' and gap symbols are all below 'A').
bool all_letters(const char* p, size_t n) {
  unsigned char low = 0;
  for (size_t i = 0; i < n; ++i) low |= static_cast<unsigned char>(static_cast<unsigned char>(p[i]) < 0x41);
  return low == 0;
}

/// Copies letters of [p, p + n), uppercased, to out until `want` letters were copied or a
/// '>' is met. Returns the bytes of input consumed; `copied` the letters written.
/// Lines of letters only (the usual case) are copied whole; others go byte by byte.
size_t normalise_into(const char* p, size_t n, char* out, size_t want, size_t& copied,
                      bool& hit_header) {
  const ByteTable& t = bytes_table();
  size_t i = 0, o = 0;
  hit_header = false;
  while (i < n && o < want) {
    const void* nl = std::memchr(p + i, '\n', n - i);
    const size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) : n;
    size_t end = line_end;
    if (nl && end > i && p[end - 1] == '\r') --end;  // CRLF
    const size_t len = std::min(end - i, want - o);
    if (all_letters(p + i, len)) {
      for (size_t k = 0; k < len; ++k) out[o + k] = static_cast<char>(p[i + k] & ~0x20);
      i += len;
      o += len;
      if (i == end && nl) i = line_end + 1;  // the line end
      continue;
    }
    // Slow path to the end of this line (newline included).
    const size_t stop = nl ? line_end + 1 : n;
    while (i < stop && o < want) {
      const auto c = static_cast<unsigned char>(p[i]);
      const uint8_t k = t.cls[c];
      if (k == 1) {
        out[o++] = t.upper[c];
      } else if (k == 2) {
        hit_header = true;
        copied = o;
        return i;
      }
      ++i;
    }
  }
  copied = o;
  return i;
}

// ---- little-endian helpers -------------------------------------------------------------

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// ---- the sidecar -----------------------------------------------------------------------

/// What binds a sidecar to one index.
struct Binding {
  uint64_t record_count = 0;
  uint64_t file_size = 0;
  uint8_t content[16] = {};
  uint64_t full_hash = 0;  // XXH3-64 of the index header's 16-byte full-file hash
};

Binding binding_of(const Sample& s) {
  Binding b;
  const FastaIndex& ix = s.index();
  b.record_count = ix.record_count();
  const FileFingerprint fp = ix.fingerprint();
  b.file_size = fp.size_bytes;
  std::memcpy(b.content, fp.content, 16);
  // The full-file hash is at offset 56 of the index header (index_format.hpp).
  char head[format::k_header_size];
  const int fd = ::open(ix.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const ssize_t got = ::pread(fd, head, sizeof head, 0);
    ::close(fd);
    if (got == static_cast<ssize_t>(sizeof head)) b.full_hash = XXH3_64bits(head + 56, 16);
  }
  return b;
}

std::string header_bytes(const Binding& b, uint32_t state) {
  std::string h(k_digest_header, '\0');
  std::memcpy(h.data(), k_digest_magic, 8);
  put_u32(h.data() + 8, k_digest_version);
  put_u32(h.data() + 12, k_digest_header);
  put_u64(h.data() + 16, b.record_count);
  put_u64(h.data() + 24, b.file_size);
  std::memcpy(h.data() + 32, b.content, 16);
  put_u64(h.data() + 48, b.full_hash);
  put_u32(h.data() + 56, state);
  put_u32(h.data() + 60, XXH32(h.data(), 60, 0));
  return h;
}

/// True when `h` is a valid header for `b` (any state); sets `state`.
bool header_matches(const char* h, const Binding& b, uint32_t& state) {
  if (std::memcmp(h, k_digest_magic, 8) != 0) return false;
  if (get_u32(h + 60) != XXH32(h, 60, 0)) return false;
  if (get_u32(h + 8) != k_digest_version || get_u32(h + 12) != k_digest_header) return false;
  if (get_u64(h + 16) != b.record_count || get_u64(h + 24) != b.file_size) return false;
  if (std::memcmp(h + 32, b.content, 16) != 0 || get_u64(h + 48) != b.full_hash) return false;
  state = get_u32(h + 56);
  return true;
}

uint32_t entry_check(RecordId id, const RecordDigest& r) {
  char buf[4 + 1 + 40];
  put_u32(buf, id);
  buf[4] = static_cast<char>(r.state);
  std::memcpy(buf + 5, r.digest.md5.data(), 16);
  std::memcpy(buf + 21, r.digest.sha512t24.data(), 24);
  return XXH32(buf, sizeof buf, 0);
}

void encode_entry(char* p, RecordId id, const RecordDigest& r) {
  std::memset(p, 0, k_entry_bytes);
  p[0] = static_cast<char>(r.state);
  if (r.state != DigestState::pending) put_u32(p + 4, entry_check(id, r));
  std::memcpy(p + 8, r.digest.md5.data(), 16);
  std::memcpy(p + 24, r.digest.sha512t24.data(), 24);
}

/// Decodes an entry; a damaged one reads as pending.
RecordDigest decode_entry(const char* p, RecordId id) {
  RecordDigest r;
  const auto st = static_cast<uint8_t>(p[0]);
  if (st != 1 && st != 2) return r;
  r.state = static_cast<DigestState>(st);
  std::memcpy(r.digest.md5.data(), p + 8, 16);
  std::memcpy(r.digest.sha512t24.data(), p + 24, 24);
  if (get_u32(p + 4) != entry_check(id, r)) return RecordDigest{};
  return r;
}

bool read_all(int fd, char* p, size_t n, uint64_t off) {
  while (n) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(off));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
    off += static_cast<uint64_t>(got);
  }
  return true;
}
bool write_all(int fd, const char* p, size_t n, uint64_t off) {
  while (n) {
    const ssize_t put = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    p += put;
    n -= static_cast<size_t>(put);
    off += static_cast<uint64_t>(put);
  }
  return true;
}

/// Reads a sidecar (complete or partial) matching `b`. Returns false when absent, stale or
/// damaged. `complete` tells which.
bool read_sidecar(const std::string& path, const Binding& b, DigestTable& out, bool& complete) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 &&
            static_cast<uint64_t>(st.st_size) == k_digest_header + b.record_count * k_entry_bytes;
  char h[k_digest_header];
  uint32_t state = 0;
  ok = ok && read_all(fd, h, sizeof h, 0) && header_matches(h, b, state);
  std::string body;
  if (ok) {
    body.resize(b.record_count * k_entry_bytes);
    ok = read_all(fd, body.data(), body.size(), k_digest_header);
  }
  ::close(fd);
  if (!ok) return false;
  out.records.resize(b.record_count);
  for (RecordId i = 0; i < b.record_count; ++i)
    out.records[i] = decode_entry(body.data() + size_t{i} * k_entry_bytes, i);
  complete = state == 1 && out.complete();
  return true;
}

// ---- reading the bases of records ------------------------------------------------------

/// Where each record's sequence starts in the uncompressed text, from the index.
struct RecordSpans {
  const format::RecordEntry* entries = nullptr;
  size_t count = 0;
  uint64_t text_size = 0;
  [[nodiscard]] uint64_t begin(RecordId r) const { return entries[r].sequence_offset; }
  /// Text after the record's sequence start up to the next record's (header included).
  [[nodiscard]] uint64_t end(RecordId r) const {
    return r + 1 < count ? entries[r + 1].sequence_offset : text_size;
  }
};

/// Forward reader of the uncompressed text in large blocks.
class BlockReader {
public:
  BlockReader(const ByteSource& src, size_t block) : src_(src), buf_(block) {}

  /// Bytes available at `offset` (never beyond `limit`), reading a new block when needed.
  std::pair<const char*, size_t> at(uint64_t offset, uint64_t limit) {
    if (offset < off_ || offset >= off_ + len_) {
      const uint64_t n = std::min<uint64_t>(buf_.size(), limit - offset);
      src_.read_at(offset, std::span<char>(buf_.data(), n));
      off_ = offset;
      len_ = n;
    }
    const uint64_t stop = std::min(off_ + len_, limit);
    return {buf_.data() + (offset - off_), stop - offset};
  }

private:
  const ByteSource& src_;
  std::vector<char> buf_;
  uint64_t off_ = 0, len_ = 0;
};

/// Runs `f` on a helper thread, one job at a time.
class Helper {
public:
  Helper() : t_([this] { loop(); }) {}
  ~Helper() {
    {
      std::lock_guard<std::mutex> g(m_);
      quit_ = true;
    }
    cv_.notify_all();
    t_.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> g(m_);
      job_ = std::move(f);
      busy_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [this] { return !busy_; });
    if (err_) {
      auto e = err_;
      err_ = nullptr;
      std::rethrow_exception(e);
    }
  }

private:
  void loop() {
    std::unique_lock<std::mutex> l(m_);
    for (;;) {
      cv_.wait(l, [this] { return quit_ || job_; });
      if (quit_ && !job_) return;
      auto f = std::move(job_);
      job_ = nullptr;
      l.unlock();
      try {
        f();
      } catch (...) {
        l.lock();
        err_ = std::current_exception();
        busy_ = false;
        cv_.notify_all();
        continue;
      }
      l.lock();
      busy_ = false;
      cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false, quit_ = false;
  std::exception_ptr err_;
  std::thread t_;
};

/// Normalises record `r` piece by piece and hands each piece to `sink`.
template <class Sink>
void walk_record(const Sample& s, const RecordSpans& spans, BlockReader& rd, RecordId r,
                 std::vector<char>& piece, Sink&& sink) {
  const uint64_t want = s.index().record(r).length;
  uint64_t off = spans.begin(r);
  const uint64_t limit = spans.end(r);
  uint64_t got = 0;
  size_t fill = 0;
  while (got < want) {
    if (off >= limit) break;
    auto [p, n] = rd.at(off, limit);
    size_t copied = 0;
    bool header = false;
    const size_t room = static_cast<size_t>(std::min<uint64_t>(piece.size() - fill, want - got));
    const size_t used = normalise_into(p, n, piece.data() + fill, room, copied, header);
    off += used;
    fill += copied;
    got += copied;
    if (fill == piece.size() || got == want) {
      sink(piece.data(), fill);
      fill = 0;
    }
    if (header) break;
  }
  if (got != want)
    throw Error(Errc::corrupt_input,
                s.path() + ": record '" + std::string(s.index().record(r).name) + "' holds " +
                    std::to_string(got) + " letters where the index says " +
                    std::to_string(want) + "; the file changed after indexing (run ofq index)");
}

/// The slow path, for an index that does not expose its record table: Sample::fetch_pieces.
template <class Sink>
void walk_record_fetch(const Sample& s, RecordId r, std::vector<char>& piece, Sink&& sink) {
  const uint64_t len = s.index().record(r).length;
  const ByteTable& t = bytes_table();
  s.fetch_pieces(
      r, 0, len, SeqType::raw,
      [&](std::string_view v) {
        size_t i = 0;
        while (i < v.size()) {
          const size_t n = std::min(piece.size(), v.size() - i);
          for (size_t k = 0; k < n; ++k) piece[k] = t.upper[static_cast<unsigned char>(v[i + k])];
          sink(piece.data(), n);
          i += n;
        }
      },
      piece.size());
}

class Pass {
public:
  Pass(const Sample& s, const DigestOptions& opt) : s_(s), opt_(opt) {
    const auto sec = s.index().section(format::records);
    spans_.count = s.index().record_count();
    spans_.text_size = s.source().size();
    if (sec.size() == spans_.count * sizeof(format::RecordEntry) &&
        reinterpret_cast<uintptr_t>(sec.data()) % alignof(format::RecordEntry) == 0)
      spans_.entries = reinterpret_cast<const format::RecordEntry*>(sec.data());
    const uint64_t g = s.source().access_granularity();
    block_ = static_cast<size_t>(std::max<uint64_t>(4ull << 20, 2 * g));
  }

  /// Hashes records `todo` into `table`; `written(first, last)` after each unit of work.
  void run(DigestTable& table, const std::vector<RecordId>& todo,
           const std::function<void(RecordId, RecordId)>& written) {
    // Units: chunks of small records, and big records alone.
    struct Unit {
      RecordId first, last;  // inclusive range over todo indices
      bool big;
    };
    std::vector<Unit> small, big;
    const uint64_t chunk = opt_.checkpoint_bases ? std::min(opt_.checkpoint_bases, k_chunk_bases)
                                                 : k_chunk_bases;
    uint64_t acc = 0;
    size_t start = 0;
    const bool two = opt_.threads >= 2;
    for (size_t i = 0; i < todo.size(); ++i) {
      const uint64_t len = s_.index().record(todo[i]).length;
      if (two && len >= k_big_record_bases) {
        if (i > start) small.push_back({RecordId(start), RecordId(i - 1), false});
        big.push_back({RecordId(i), RecordId(i), true});
        start = i + 1;
        acc = 0;
        continue;
      }
      acc += len + 1;
      if (acc >= chunk || i - start >= 65535) {
        small.push_back({RecordId(start), RecordId(i), false});
        start = i + 1;
        acc = 0;
      }
    }
    if (start < todo.size()) small.push_back({RecordId(start), RecordId(todo.size() - 1), false});

    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr err;
    std::mutex err_m;
    auto worker = [&] {
      try {
        BlockReader rd(s_.source(), block_);
        std::vector<char> piece(k_piece_bases);
        HasherPair h;
        for (;;) {
          if (failed.load() || cancelled()) return;
          const size_t u = next.fetch_add(1);
          if (u >= small.size()) return;
          uint64_t bases = 0;
          for (RecordId i = small[u].first; i <= small[u].last; ++i) {
            const RecordId r = todo[i];
            RecordDigest d;
            const auto sink = [&](const char* p, size_t n) { h.update(p, n); };
            if (spans_.entries) walk_record(s_, spans_, rd, r, piece, sink);
            else walk_record_fetch(s_, r, piece, sink);
            h.finish(d.digest);
            d.state = DigestState::done;
            publish(table, r, d);
            bases += s_.index().record(r).length;
          }
          written(small[u].first, small[u].last);
          add_progress(bases);
        }
      } catch (...) {
        std::lock_guard<std::mutex> g(err_m);
        if (!err) err = std::current_exception();
        failed = true;
      }
    };
    if (two && small.size() > 1) {
      std::thread t(worker);
      worker();
      t.join();
    } else {
      worker();
    }
    if (err) std::rethrow_exception(err);

    if (!big.empty()) {
      Helper helper;
      BlockReader rd(s_.source(), block_);
      std::vector<char> piece(k_piece_bases);
      Hasher md5(md5_algo()), sha(sha512_algo());
      for (const Unit& u : big) {
        if (cancelled()) return;
        const RecordId r = todo[u.first];
        const auto sink = [&](const char* p, size_t n) {
          helper.post([&md5, p, n] { md5.update(p, n); });
          try {
            sha.update(p, n);
          } catch (...) {
            helper.wait();
            throw;
          }
          helper.wait();
        };
        if (spans_.entries) walk_record(s_, spans_, rd, r, piece, sink);
        else walk_record_fetch(s_, r, piece, sink);
        RecordDigest d;
        md5.finish(d.digest.md5.data(), k_md5_bytes);
        sha.finish(d.digest.sha512t24.data(), k_sha512t24_bytes);
        d.state = DigestState::done;
        publish(table, r, d);
        written(u.first, u.first);
        add_progress(s_.index().record(r).length);
      }
    }
  }

  void add_progress(uint64_t bases) {
    const uint64_t now = done_bases_.fetch_add(bases) + bases;
    if (opt_.progress) opt_.progress(now, s_.index().total_bases());
  }
  void set_done_bases(uint64_t b) { done_bases_ = b; }

private:
  void publish(DigestTable& table, RecordId r, const RecordDigest& d) {
    table.records[r] = d;
    if (opt_.on_record) opt_.on_record(r, d);
  }
  bool cancelled() const { return opt_.cancel && opt_.cancel->load(std::memory_order_relaxed); }

  const Sample& s_;
  const DigestOptions& opt_;
  RecordSpans spans_;
  size_t block_ = 4u << 20;
  std::atomic<uint64_t> done_bases_{0};
};

}  // namespace

// ---- public ----------------------------------------------------------------------------

SequenceDigest digest_bases(std::string_view bases) {
  HasherPair h;
  h.update(bases.data(), bases.size());
  SequenceDigest d;
  h.finish(d);
  return d;
}

std::string normalise_sequence(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const ByteTable& t = bytes_table();
  for (char c : text)
    if (t.cls[static_cast<unsigned char>(c)] == 1) out.push_back(t.upper[static_cast<unsigned char>(c)]);
  return out;
}

namespace {
constexpr char k_hex[] = "0123456789abcdef";
std::string to_hex(const uint8_t* p, size_t n) {
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = k_hex[p[i] >> 4];
    s[2 * i + 1] = k_hex[p[i] & 15];
  }
  return s;
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
template <size_t N>
bool from_hex(std::string_view s, std::array<uint8_t, N>& out) {
  if (s.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    const int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}
constexpr char k_b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
/// 32 base64url characters -> 24 bytes (no padding: 24 bytes are exactly 32 characters).
bool from_b64url24(std::string_view s, Sha512t24Bytes& out) {
  if (s.size() != 32) return false;
  for (size_t g = 0; g < 8; ++g) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int x = b64url_value(s[4 * g + k]);
      if (x < 0) return false;
      v = (v << 6) | static_cast<uint32_t>(x);
    }
    out[3 * g] = static_cast<uint8_t>(v >> 16);
    out[3 * g + 1] = static_cast<uint8_t>(v >> 8);
    out[3 * g + 2] = static_cast<uint8_t>(v);
  }
  return true;
}
}  // namespace

std::string md5_hex(const Md5Bytes& d) { return to_hex(d.data(), d.size()); }
std::string trunc512_hex(const Sha512t24Bytes& d) { return to_hex(d.data(), d.size()); }
std::string ga4gh_id(const Sha512t24Bytes& d) { return "SQ." + base64url(d.data(), d.size()); }

std::string base64url(const uint8_t* data, size_t n) {
  std::string s;
  s.reserve((n * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    s.push_back(k_b64url[(v >> 18) & 63]);
    s.push_back(k_b64url[(v >> 12) & 63]);
    s.push_back(k_b64url[(v >> 6) & 63]);
    s.push_back(k_b64url[v & 63]);
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    s.push_back(k_b64url[(v >> 18) & 63]);
    s.push_back(k_b64url[(v >> 12) & 63]);
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    s.push_back(k_b64url[(v >> 18) & 63]);
    s.push_back(k_b64url[(v >> 12) & 63]);
    s.push_back(k_b64url[(v >> 6) & 63]);
  }
  return s;
}

std::optional<RefgetId> parse_refget_id(std::string_view text) {
  RefgetId id;
  const auto strip = [&](std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
  };
  const auto ga4gh = [&](std::string_view t) -> std::optional<RefgetId> {
    if (t.substr(0, 3) != "SQ." || !from_b64url24(t.substr(3), id.sha512t24)) return std::nullopt;
    id.kind = RefgetId::Kind::sha512t24;
    return id;
  };
  const auto md5 = [&](std::string_view t) -> std::optional<RefgetId> {
    if (!from_hex(t, id.md5)) return std::nullopt;
    id.kind = RefgetId::Kind::md5;
    return id;
  };
  const auto trunc = [&](std::string_view t) -> std::optional<RefgetId> {
    if (!from_hex(t, id.sha512t24)) return std::nullopt;
    id.kind = RefgetId::Kind::sha512t24;
    return id;
  };
  if (strip("md5:")) return md5(text);
  if (strip("ga4gh:")) return ga4gh(text);
  if (strip("trunc512:")) return trunc(text);
  if (text.substr(0, 3) == "SQ.") return ga4gh(text);
  if (text.size() == 32) {
    if (auto r = md5(text)) return r;
  }
  if (text.size() == 48) {
    if (auto r = trunc(text)) return r;
  }
  const size_t colon = text.find(':');
  if (colon != std::string_view::npos && colon > 0 && colon + 1 < text.size()) {
    id.kind = RefgetId::Kind::alias;
    id.alias = std::string(text);
    return id;
  }
  return std::nullopt;
}

bool DigestTable::complete() const noexcept {
  return std::none_of(records.begin(), records.end(),
                      [](const RecordDigest& r) { return r.state == DigestState::pending; });
}

std::string digest_path(const Sample& sample) { return sample.index().path() + ".digests"; }

std::optional<DigestTable> load_digests(const Sample& sample) {
  const Binding b = binding_of(sample);
  DigestTable t;
  bool complete = false;
  if (!read_sidecar(digest_path(sample), b, t, complete) || !complete) return std::nullopt;
  return t;
}

DigestTable compute_digests(const Sample& sample, const DigestOptions& opt) {
  const FastaIndex& ix = sample.index();
  const size_t n = ix.record_count();
  const Binding b = binding_of(sample);
  const std::string final_path = digest_path(sample);
  const std::string partial_path = final_path + ".partial";

  DigestTable table;
  table.records.resize(n);
  bool resumed = false;
  if (opt.write) {
    bool complete = false;
    DigestTable old;
    if (read_sidecar(partial_path, b, old, complete)) {
      table = std::move(old);
      resumed = true;
    }
  }
  // Records holding gap symbols get no digest.
  for (RecordId r = 0; r < n; ++r)
    if (table.records[r].state == DigestState::pending && ix.record(r).has_gap_symbols)
      table.records[r].state = DigestState::not_served;

  std::vector<RecordId> todo;
  uint64_t done_bases = 0;
  for (RecordId r = 0; r < n; ++r) {
    if (table.records[r].state == DigestState::pending) todo.push_back(r);
    else {
      done_bases += ix.record(r).length;
      if (opt.on_record) opt.on_record(r, table.records[r]);
    }
  }

  // The partial file: created (or rewritten whole when stale), then updated in place.
  int fd = -1;
  if (opt.write) {
    fd = ::open(partial_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      std::string all = header_bytes(b, 0);
      all.resize(k_digest_header + n * k_entry_bytes);
      for (RecordId r = 0; r < n; ++r)
        encode_entry(all.data() + k_digest_header + size_t{r} * k_entry_bytes, r, table.records[r]);
      if (!write_all(fd, all.data(), all.size(), 0) ||
          ::ftruncate(fd, static_cast<off_t>(all.size())) != 0) {
        ::close(fd);
        fd = -1;
        ::unlink(partial_path.c_str());
      }
    }
  }
  (void)resumed;

  std::mutex write_m;
  const auto written = [&](RecordId first, RecordId last) {
    if (fd < 0) return;
    // todo indices first..last are not contiguous record ids when resuming: write each run.
    std::lock_guard<std::mutex> g(write_m);
    RecordId i = first;
    while (i <= last) {
      RecordId j = i;
      while (j < last && todo[j + 1] == todo[j] + 1) ++j;
      std::string buf((j - i + 1) * k_entry_bytes, '\0');
      for (RecordId k = i; k <= j; ++k)
        encode_entry(buf.data() + size_t{k - i} * k_entry_bytes, todo[k], table.records[todo[k]]);
      if (!write_all(fd, buf.data(), buf.size(),
                     k_digest_header + uint64_t{todo[i]} * k_entry_bytes)) {
        ::close(fd);
        fd = -1;
        return;
      }
      i = j + 1;
    }
  };

  Pass pass(sample, opt);
  pass.set_done_bases(done_bases);
  try {
    pass.run(table, todo, written);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    throw;
  }

  if (fd >= 0) {
    if (table.complete()) {
      const std::string h = header_bytes(b, 1);
      if (write_all(fd, h.data(), h.size(), 0) && ::fsync(fd) == 0) {
        ::close(fd);
        fd = -1;
        if (::rename(partial_path.c_str(), final_path.c_str()) != 0) ::unlink(partial_path.c_str());
      }
    }
    if (fd >= 0) ::close(fd);
  }
  return table;
}

DigestTable ensure_digests(const Sample& sample, const DigestOptions& opt) {
  if (auto t = load_digests(sample)) {
    if (opt.on_record)
      for (RecordId r = 0; r < t->records.size(); ++r) opt.on_record(r, t->records[r]);
    return std::move(*t);
  }
  return compute_digests(sample, opt);
}

}  // namespace ofq
