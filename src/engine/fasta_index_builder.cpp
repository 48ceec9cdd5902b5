// Building FILE.ofqi (and FILE.fai) in one pass, and deciding where indexes live.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "compressed_io_internal.hpp"
#include "fasta_index_internal.hpp"
#include "index_build_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"
#include "ofq/sample.hpp"

namespace fs = std::filesystem;

namespace ofq {
namespace {

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string keyed_name(const std::string& fasta_path) {
  std::error_code ec;
  std::string abs = fs::absolute(fasta_path, ec).lexically_normal().string();
  return fs::path(fasta_path).filename().string() + "." +
         hex16(XXH3_64bits(abs.data(), abs.size())) + ".ofqi";
}

std::string cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/ofq";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/ofq";
  return "/tmp/ofq-cache";
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees half a file.
class AtomicFile {
public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {
    tmp_ = path_ + ".tmp." + std::to_string(::getpid());
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(Errc::io_error, path_ + ": cannot write index: " + std::strerror(errno));
  }
  ~AtomicFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }
  void write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw Error(Errc::io_error, path_ + ": write failed: " + std::strerror(errno));
      p += w;
      n -= size_t(w);
    }
  }
  void write_at(uint64_t offset, const void* data, size_t n) {
    if (::pwrite(fd_, data, n, off_t(offset)) != ssize_t(n))
      throw Error(Errc::io_error, path_ + ": write failed: " + std::strerror(errno));
  }
  void commit() {
    // No fsync: a crash can leave an empty or partial index at worst, which the
    // structural check and fingerprint refuse and rebuild; fsync cost seconds here.
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw Error(Errc::io_error, path_ + ": write failed: " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp_.c_str());
      throw Error(Errc::io_error, path_ + ": cannot rename into place: " + std::strerror(e));
    }
  }

private:
  std::string path_, tmp_;
  int fd_ = -1;
};

template <class T>
void put(std::string& out, size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof v);
}

void pad8(std::string& s) { s.resize((s.size() + 7) & ~size_t(7), '\0'); }

// The name table; also where duplicate names are found, with both lines named.
std::string build_name_hash(const detail::FastaScanner& sc, const std::string& file) {
  const size_t n = sc.records.size();
  uint64_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  // The hashes first, in one sequential pass; then the inserts, each slot prefetched a few
  // records ahead, comparing hashes before names. With 5 million records the table (64 MB)
  // is far out of cache: inserting name by name was one miss each, 16% of indexing.
  std::vector<uint64_t> hashes(n);
  for (size_t id = 0; id < n; ++id) {
    const auto& e = sc.records[id];
    hashes[id] = detail::name_hash(std::string_view(sc.strings.data() + e.name_offset, e.name_length));
  }
  std::string out(8 + cap * 4, '\0');
  put<uint64_t>(out, 0, cap);
  auto* slots = reinterpret_cast<uint32_t*>(out.data() + 8);  // 8-byte aligned in the string
  constexpr size_t k_ahead = 16;
  for (size_t id = 0; id < n; ++id) {
    if (id + k_ahead < n) __builtin_prefetch(slots + (hashes[id + k_ahead] & (cap - 1)), 1);
    for (uint64_t s = hashes[id] & (cap - 1);; s = (s + 1) & (cap - 1)) {
      uint32_t v;
      std::memcpy(&v, slots + s, 4);
      if (v == 0) {
        v = uint32_t(id + 1);
        std::memcpy(slots + s, &v, 4);
        break;
      }
      if (hashes[v - 1] != hashes[id]) continue;
      const auto& e = sc.records[id];
      const auto& o = sc.records[v - 1];
      std::string_view name(sc.strings.data() + e.name_offset, e.name_length);
      if (std::string_view(sc.strings.data() + o.name_offset, o.name_length) == name)
        throw Error(Errc::file_refused,
                    file + ": line " + std::to_string(sc.header_lines[id]) + ", record '" + std::string(name) +
                        "': the name is already used by the record at line " +
                        std::to_string(sc.header_lines[v - 1]) + " (names are cut at the first space or tab)");
    }
  }
  return out;
}

// samtools' .fai: name, length, offset, line bases, line bytes. samtools leaves out records
// with no bases and refuses a file that ends with one, so we do the same.
bool fai_expressible(const detail::FastaScanner& sc) {
  for (const auto& e : sc.records)
    if (!(e.flags & format::fai_expressible)) return false;
  return sc.records.empty() || sc.records.back().length != 0;
}

// Written through a 1 MiB buffer: the .fai of 5 million records is 275 MB, which need not
// be held in memory on top of the index.
void write_fai(const detail::FastaScanner& sc, AtomicFile& f) {
  std::string out;
  out.reserve(1 << 20);
  for (const auto& e : sc.records) {
    if (e.length == 0) continue;
    out.append(sc.strings.data() + e.name_offset, e.name_length);
    for (uint64_t v : {e.length, e.sequence_offset, uint64_t(e.line_bases), uint64_t(e.line_bytes)}) {
      char num[24];
      num[0] = '\t';
      auto r = std::to_chars(num + 1, num + sizeof num, v);
      out.append(num, size_t(r.ptr - num));
    }
    out += '\n';
    if (out.size() >= (1 << 20) - 4096) {
      f.write(out.data(), out.size());
      out.clear();
    }
  }
  f.write(out.data(), out.size());
}

void write_small_file(const std::string& path, const std::string& bytes) {
  AtomicFile f(path);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

bool writable_dir(const fs::path& dir) {
  return ::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
}

std::string stem_of(const std::string& ofqi) { return ofqi.substr(0, ofqi.size() - 5); }

}  // namespace

IndexPaths index_paths(const std::string& fasta_path, const IndexOptions& opt) {
  IndexPaths p;
  std::string dir = opt.index_dir;
  if (dir.empty())
    if (const char* e = std::getenv("OFQ_INDEX_DIR"); e && *e) dir = e;
  const std::string beside = fasta_path + ".ofqi";
  const std::string cached = cache_dir() + "/" + keyed_name(fasta_path);
  if (!dir.empty()) {
    const std::string keyed = dir + "/" + keyed_name(fasta_path);
    p.read_candidates[0] = keyed;
    p.read_candidates[1] = beside;
    p.read_candidates[2] = cached;
    p.write_path = keyed;
  } else {
    p.read_candidates[0] = beside;
    p.read_candidates[1] = cached;
    p.write_path = writable_dir(fs::path(fasta_path).parent_path()) ? beside : cached;
  }
  return p;
}

std::string build_index(const std::string& fasta_path, const IndexOptions& opt) {
  const Compression comp = detect_compression(fasta_path);
  const FileFingerprint fp = fingerprint_file(fasta_path);
  const IndexPaths paths = index_paths(fasta_path, opt);

  int fd = ::open(fasta_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io_error, fasta_path + ": cannot open: " + std::strerror(errno));
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } guard{fd};
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  detail::FastaScanner scanner(fasta_path);
  detail::Xxh128 full;
  // Counts the file's bytes too: once 16 MiB are in, the scanner's tables are reserved for
  // the whole file at the rate seen (for compressed input, the scanner lags the bytes read
  // by one buffer: the estimate comes out low, and the tables may double once at the end).
  uint64_t seen = 0;
  bool reserved = false;
  std::function<void(const char*, size_t)> stored = [&](const char* p, size_t n) {
    full.update(p, n);
    seen += n;
    if (!reserved && seen >= (16u << 20) && fp.size_bytes > 0) {
      reserved = true;
      scanner.reserve_for(double(seen - n) / double(fp.size_bytes));
    }
  };

  detail::ScanResult extra;
  if (comp == Compression::plain) {
    // 128 KiB reads stay in L2, into a page-aligned buffer (see PageBuffer).
    detail::PageBuffer buf(128 << 10);
    uint64_t done = 0;
    for (;;) {
      ssize_t got = ::read(fd, buf.chars(), buf.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw Error(Errc::io_error, fasta_path + ": read failed: " + std::strerror(errno));
      if (got == 0) break;
      stored(buf.chars(), size_t(got));
      scanner.feed(buf.chars(), size_t(got));
      done += uint64_t(got);
      if (opt.progress) opt.progress(done, fp.size_bytes);
    }
  } else {
    detail::ScanInput in{fasta_path, fd, fp.size_bytes, scanner, stored, opt};
    try {
      extra = comp == Compression::gzip ? detail::scan_gzip(in) : detail::scan_bgzf(in);
    } catch (const Error& e) {
      // A damaged deflate stream usually shows first as text the scanner refuses, before
      // the member's CRC is reached: say that it may be the compression.
      if (e.code() != Errc::file_refused) throw;
      throw Error(Errc::file_refused, std::string(e.what()) + " (the file is " + to_string(comp) +
                                          "-compressed: if it is damaged, 'gzip -t' will say so)");
    }
  }
  scanner.finish();

  // The file may have changed while we read it: then this index describes nothing.
  const FileFingerprint after = fingerprint_file(fasta_path);
  if (after.size_bytes != fp.size_bytes || std::memcmp(after.content, fp.content, 16) != 0)
    throw Error(Errc::corrupt_input, fasta_path + ": the file changed while it was being indexed");

  // Sections are written straight to the file (a 5-million-record index is ~560 MB: building
  // it in memory first doubled the peak), then the table, then the header over the start.
  std::error_code ec;
  fs::create_directories(fs::path(paths.write_path).parent_path(), ec);
  AtomicFile file(paths.write_path);
  std::vector<format::SectionEntry> table;
  uint64_t at = format::k_header_size;
  const char zeros[format::k_header_size] = {};
  file.write(zeros, sizeof zeros);
  auto add = [&](uint32_t kind, const void* data, size_t n) {
    const uint64_t aligned = (at + 7) & ~uint64_t(7);
    file.write(zeros, size_t(aligned - at));
    table.push_back({kind, 0, aligned, n});
    file.write(data, n);
    at = aligned + n;
  };
  add(format::records, scanner.records.data(), scanner.records.size() * sizeof(format::RecordEntry));
  add(format::strings, scanner.strings.data(), scanner.strings.size());
  {
    const std::string hash = build_name_hash(scanner, fasta_path);
    add(format::name_hash, hash.data(), hash.size());
  }
  add(format::runs, scanner.runs.data(), scanner.runs.size() * sizeof(format::GeometryRun));
  for (const auto& sec : extra.sections) add(sec.kind, sec.bytes.data(), sec.bytes.size());
  const uint64_t table_offset = (at + 7) & ~uint64_t(7);
  file.write(zeros, size_t(table_offset - at));
  file.write(table.data(), table.size() * sizeof(format::SectionEntry));

  std::string head(format::k_header_size, '\0');
  std::memcpy(head.data(), format::k_magic, 8);
  put<uint32_t>(head, 8, format::k_version);
  put<uint32_t>(head, 12, format::k_header_size);
  head[16] = char(comp);
  put<uint64_t>(head, 24, fp.size_bytes);
  put<int64_t>(head, 32, fp.mtime_ns);
  std::memcpy(head.data() + 40, fp.content, 16);
  full.digest(reinterpret_cast<unsigned char*>(head.data() + 56));
  put<uint64_t>(head, 72, scanner.uncompressed_size);
  put<uint64_t>(head, 80, scanner.records.size());
  put<uint64_t>(head, 88, scanner.total_bases);
  put<uint32_t>(head, 96, uint32_t(table.size()));
  put<uint64_t>(head, 104, table_offset);
  file.write_at(0, head.data(), head.size());
  file.commit();
  if (opt.write_fai) {
    const std::string stem = stem_of(paths.write_path);
    if (fai_expressible(scanner)) {
      AtomicFile fai(stem + ".fai");
      write_fai(scanner, fai);
      fai.commit();
    }
    if (!extra.gzi_bytes.empty()) write_small_file(stem + ".gzi", extra.gzi_bytes);
  }
  return paths.write_path;
}

IndexCheck check_index(const std::string& fasta_path, const IndexOptions& opt, bool full) {
  IndexCheck r;
  const IndexPaths paths = index_paths(fasta_path, opt);
  for (const auto& cand : paths.read_candidates) {
    if (cand.empty() || ::access(cand.c_str(), F_OK) != 0) continue;
    r.index_path = cand;
    try {
      FastaIndex idx = FastaIndex::open(cand);
      const FileFingerprint now = fingerprint_file(fasta_path);
      const FileFingerprint then = idx.fingerprint();
      if (now.size_bytes != then.size_bytes) {
        r.state = IndexState::stale;
        r.detail = "the file is " + std::to_string(now.size_bytes) + " bytes, the index was built for " +
                   std::to_string(then.size_bytes);
        continue;
      }
      if (std::memcmp(now.content, then.content, 16) != 0) {
        r.state = IndexState::stale;
        r.detail = "the file's content changed since it was indexed";
        continue;
      }
      if (full) {
        detail::ReadFd in(fasta_path);
        detail::Xxh128 st;
        detail::PageBuffer buf(128 << 10);
        uint64_t off = 0;
        while (size_t got = detail::pread_full(in.get(), fasta_path, off, buf.data(), buf.size())) {
          st.update(buf.data(), got);
          off += got;
        }
        unsigned char digest[16];
        st.digest(digest);
        const auto* stored = idx.impl().base + 56;
        if (std::memcmp(digest, stored, 16) != 0) {
          r.state = IndexState::stale;
          r.detail = "a full read found bytes that changed since the file was indexed";
          continue;
        }
      }
      r.state = IndexState::fresh;
      r.detail.clear();
      return r;
    } catch (const Error& e) {
      r.state = IndexState::damaged;
      r.detail = e.what();
    }
  }
  if (r.index_path.empty()) r.index_path = paths.write_path;
  return r;
}

}  // namespace ofq
