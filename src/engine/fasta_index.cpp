// Opening FILE.ofqi: one mmap and a structural check, O(1) in the number of records.
#include "ofq/fasta_index.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "fasta_index_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"

namespace ofq {

const char* to_string(Alphabet a) noexcept {
  switch (a) {
    case Alphabet::dna: return "dna";
    case Alphabet::rna: return "rna";
    case Alphabet::protein: return "protein";
  }
  return "dna";
}

namespace detail {
uint64_t name_hash(std::string_view name) noexcept { return XXH3_64bits(name.data(), name.size()); }
}  // namespace detail

FastaIndex::Impl::~Impl() {
  if (base) ::munmap(const_cast<std::byte*>(base), size);
}

namespace {

[[noreturn]] void damaged(const std::string& path, const std::string& why) {
  throw Error(Errc::bad_index, path + ": damaged index (" + why + "); rebuild it with 'ofq index'");
}

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Header field offsets (index_format.hpp).
constexpr size_t h_version = 8, h_header_size = 12, h_compression = 16, h_file_size = 24,
                 h_mtime = 32, h_fingerprint = 40, h_usize = 72, h_count = 80, h_bases = 88,
                 h_nsections = 96, h_table = 104;

}  // namespace

FastaIndex::FastaIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FastaIndex::FastaIndex(FastaIndex&&) noexcept = default;
FastaIndex& FastaIndex::operator=(FastaIndex&&) noexcept = default;
FastaIndex::~FastaIndex() = default;

FastaIndex FastaIndex::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io_error, path + ": cannot open index: " + std::strerror(errno));
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    int e = errno;
    ::close(fd);
    throw Error(Errc::io_error, path + ": cannot stat index: " + std::strerror(e));
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->size = size_t(sb.st_size);
  if (impl->size < format::k_header_size) {
    ::close(fd);
    damaged(path, "shorter than its header");
  }
  void* m = ::mmap(nullptr, impl->size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw Error(Errc::io_error, path + ": cannot map index: " + std::strerror(errno));
  impl->base = static_cast<const std::byte*>(m);
  const std::byte* b = impl->base;

  if (std::memcmp(b, format::k_magic, 8) != 0) damaged(path, "not an ofq index");
  if (load<uint32_t>(b + h_version) != format::k_version)
    throw Error(Errc::bad_index, path + ": index version " +
                                     std::to_string(load<uint32_t>(b + h_version)) +
                                     " is not the version this ofq reads (" +
                                     std::to_string(format::k_version) + "); run 'ofq index'");
  if (load<uint32_t>(b + h_header_size) != format::k_header_size) damaged(path, "header size");
  if (b[h_compression] > std::byte{2}) damaged(path, "compression field");
  const uint32_t nsections = load<uint32_t>(b + h_nsections);
  const uint64_t table = load<uint64_t>(b + h_table);
  if (table > impl->size || nsections > (impl->size - table) / sizeof(format::SectionEntry) ||
      table % 8 != 0)
    damaged(path, "section table outside the file");
  impl->sections = {reinterpret_cast<const format::SectionEntry*>(b + table), nsections};
  for (const auto& s : impl->sections)
    if (s.offset > impl->size || s.size > impl->size - s.offset || s.offset % 8 != 0)
      damaged(path, "section " + std::to_string(s.kind) + " outside the file");

  const uint64_t count = load<uint64_t>(b + h_count);
  FastaIndex idx(std::move(impl));
  auto& im = *idx.impl_;
  auto rec = idx.section(format::records);
  if (rec.size() != count * sizeof(format::RecordEntry) || count > UINT32_MAX)
    damaged(path, "record table size");
  im.records = {reinterpret_cast<const format::RecordEntry*>(rec.data()), size_t(count)};
  auto str = idx.section(format::strings);
  im.strings = {reinterpret_cast<const char*>(str.data()), str.size()};
  auto hash = idx.section(format::name_hash);
  if (hash.size() < 8) damaged(path, "name table missing");
  const uint64_t cap = load<uint64_t>(hash.data());
  if (cap == 0 || (cap & (cap - 1)) != 0 || cap < count || hash.size() != 8 + cap * 4)
    damaged(path, "name table size");
  im.hash = {reinterpret_cast<const uint32_t*>(hash.data() + 8), size_t(cap)};
  auto runs = idx.section(format::runs);
  if (runs.size() % sizeof(format::GeometryRun) != 0) damaged(path, "geometry table size");
  im.runs = {reinterpret_cast<const format::GeometryRun*>(runs.data()),
             runs.size() / sizeof(format::GeometryRun)};
  return idx;
}

size_t FastaIndex::record_count() const noexcept { return impl_->records.size(); }

RecordInfo FastaIndex::record(RecordId id) const {
  const auto& e = impl_->records[id];
  const uint64_t n = uint64_t(e.name_length) + e.description_length;
  if (e.name_offset > impl_->strings.size() || n > impl_->strings.size() - e.name_offset)
    damaged(impl_->path, "record " + std::to_string(id) + " names outside the string table");
  RecordInfo r;
  r.id = id;
  r.name = impl_->strings.substr(e.name_offset, e.name_length);
  r.description = impl_->strings.substr(e.name_offset + e.name_length, e.description_length);
  r.length = e.length;
  r.alphabet = static_cast<Alphabet>(e.alphabet);
  r.has_gap_symbols = e.flags & format::has_gap_symbols;
  r.fai_expressible = e.flags & format::fai_expressible;
  r.foreign_letter = char(e.foreign_letter);
  r.foreign_position = e.foreign_position;
  return r;
}

std::optional<RecordId> FastaIndex::find(std::string_view name) const noexcept {
  const auto& im = *impl_;
  const uint64_t mask = im.hash.size() - 1;
  for (uint64_t slot = detail::name_hash(name) & mask, probes = 0; probes < im.hash.size();
       slot = (slot + 1) & mask, ++probes) {
    const uint32_t v = im.hash[slot];
    if (v == 0) return std::nullopt;
    const uint32_t id = v - 1;
    if (id >= im.records.size()) return std::nullopt;  // damaged slot: treat as absent
    const auto& e = im.records[id];
    if (e.name_length == name.size() && e.name_offset + e.name_length <= im.strings.size() &&
        std::memcmp(im.strings.data() + e.name_offset, name.data(), name.size()) == 0)
      return id;
  }
  return std::nullopt;
}

Compression FastaIndex::compression() const noexcept {
  return static_cast<Compression>(impl_->base[h_compression]);
}

FileFingerprint FastaIndex::fingerprint() const noexcept {
  FileFingerprint f;
  f.size_bytes = load<uint64_t>(impl_->base + h_file_size);
  f.mtime_ns = load<int64_t>(impl_->base + h_mtime);
  std::memcpy(f.content, impl_->base + h_fingerprint, 16);
  return f;
}

uint64_t FastaIndex::uncompressed_size() const noexcept { return load<uint64_t>(impl_->base + h_usize); }
uint64_t FastaIndex::total_bases() const noexcept { return load<uint64_t>(impl_->base + h_bases); }
const std::string& FastaIndex::path() const noexcept { return impl_->path; }

std::span<const std::byte> FastaIndex::section(uint32_t kind) const noexcept {
  for (const auto& s : impl_->sections)
    if (s.kind == kind) return {impl_->base + s.offset, size_t(s.size)};
  return {};
}

FileFingerprint fingerprint_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io_error, path + ": cannot open: " + std::strerror(errno));
  struct stat sb {};
  ::fstat(fd, &sb);
  FileFingerprint f;
  f.size_bytes = uint64_t(sb.st_size);
  f.mtime_ns = int64_t(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
  detail::Xxh128 st;
  st.update(&f.size_bytes, sizeof f.size_bytes);
  std::string buf;
  auto take = [&](uint64_t off, uint64_t len) {
    buf.resize(len);
    ssize_t got = ::pread(fd, buf.data(), len, off_t(off));
    if (got > 0) st.update(buf.data(), size_t(got));
  };
  constexpr uint64_t k_edge = 64 << 10, k_block = 4 << 10, k_blocks = 16;
  if (f.size_bytes <= 2 * k_edge + k_blocks * k_block) {
    take(0, f.size_bytes);
  } else {
    take(0, k_edge);
    for (uint64_t i = 1; i <= k_blocks; ++i) take(f.size_bytes / (k_blocks + 1) * i, k_block);
    take(f.size_bytes - k_edge, k_edge);
  }
  ::close(fd);
  st.digest(f.content);
  return f;
}

}  // namespace ofq
