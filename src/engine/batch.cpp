// Batches: positions are checked as they arrive and held as 32-byte entries (spooled to an
// unlinked temporary file past a limit); writing takes them in chunks, fetches each chunk
// on every core (in file order, so a compressed source decodes each unit once) and writes
// the rows back in input order.
#include "ofq/batch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "fasta_index_internal.hpp"

namespace ofq {
namespace {

struct Stored {
  uint32_t record;
  uint8_t type;
  uint8_t clamped;
  uint16_t name_length;  // BED names are cut at 65,535 bytes
  uint64_t start;
  uint64_t end;          // as requested
  uint64_t name_offset;  // into the names arena
};
static_assert(sizeof(Stored) == 32);

// Rows longer than this stream through fetch_pieces instead of being held in a chunk.
constexpr uint64_t k_long_row_bases = 4u << 20;
// A chunk ends at this many rows or bases, whichever comes first: memory stays flat.
constexpr size_t k_chunk_rows = 1u << 14;
constexpr uint64_t k_chunk_bases = 8u << 20;
// Compressed sources sort each chunk by offset, and every chunk sweeps the file again: with
// 32,768-row chunks each BGZF block of a 100,000-position batch was inflated ~3 times. Larger
// chunks (still bounded: 256 MiB of bases) make it once.
constexpr size_t k_sorted_chunk_rows = 1u << 18;
constexpr uint64_t k_sorted_chunk_bases = 256u << 20;

}  // namespace

std::string check_position(const Sample& s, const Position& p, bool strict, RecordId* id_out,
                           bool* clamped) {
  *clamped = false;
  auto id = s.index().find(p.id);
  if (!id) return "unknown sequence";
  if (p.start > p.end)
    return "start " + std::to_string(p.start) + " is greater than end " + std::to_string(p.end);
  const RecordInfo r = s.index().record(*id);
  if (p.end > r.length) {
    if (strict)
      return "end " + std::to_string(p.end) + " is past the end of the sequence (length " +
             std::to_string(r.length) + ")";
    *clamped = true;
  }
  if (p.type != SeqType::raw && r.alphabet == Alphabet::protein)
    return std::string(to_string(p.type)) + " of a protein sequence ('" +
           std::string(1, r.foreign_letter) + "' at position " + std::to_string(r.foreign_position) +
           " is not a nucleotide)";
  *id_out = *id;
  return {};
}

struct Batch::Impl {
  std::shared_ptr<const Sample> sample;
  BatchOptions opt;
  std::vector<Stored> mem;
  std::string names;
  int spool_fd = -1;
  uint64_t spooled = 0;  // entries in the spool file
  uint64_t rows = 0, bad = 0, clamped = 0;
  std::vector<RowError> errors;
  bool with_names = false;

  ~Impl() {
    if (spool_fd >= 0) ::close(spool_fd);
  }

  void spool_out() {
    if (spool_fd < 0) {
      std::string dir = opt.spool_dir;
      if (dir.empty()) {
        const char* t = std::getenv("TMPDIR");
        dir = t && *t ? t : "/tmp";
      }
      std::string tmpl = dir + "/ofq-positions-XXXXXX";
      spool_fd = ::mkstemp(tmpl.data());
      if (spool_fd < 0)
        throw Error(Errc::io_error, "cannot create a spool file in " + dir + ": " + std::strerror(errno));
      ::unlink(tmpl.c_str());  // gone when we are, whatever happens
    }
    const char* p = reinterpret_cast<const char*>(mem.data());
    size_t n = mem.size() * sizeof(Stored);
    off_t at = off_t(spooled * sizeof(Stored));
    while (n) {
      ssize_t w = ::pwrite(spool_fd, p, n, at);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw Error(Errc::io_error, std::string("spool file: write failed: ") + std::strerror(errno));
      p += w;
      n -= size_t(w);
      at += w;
    }
    spooled += mem.size();
    mem.clear();
  }

  // Entries [first, first + n) in input order, from the spool then memory.
  void load(uint64_t first, size_t n, std::vector<Stored>& out) {
    out.clear();
    while (n && first < spooled) {
      const size_t k = size_t(std::min<uint64_t>(n, spooled - first));
      const size_t at = out.size();
      out.resize(at + k);
      char* p = reinterpret_cast<char*>(out.data() + at);
      size_t want = k * sizeof(Stored);
      off_t off = off_t(first * sizeof(Stored));
      while (want) {
        ssize_t got = ::pread(spool_fd, p, want, off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) throw Error(Errc::io_error, "spool file: read failed");
        p += got;
        want -= size_t(got);
        off += got;
      }
      first += k;
      n -= k;
    }
    if (n) {
      const size_t from = size_t(first - spooled);
      out.insert(out.end(), mem.begin() + long(from), mem.begin() + long(from + n));
    }
  }
};

Batch::Batch(std::shared_ptr<const Sample> sample, BatchOptions opt) : impl_(std::make_unique<Impl>()) {
  impl_->sample = std::move(sample);
  impl_->opt = opt;
}
Batch::~Batch() = default;

bool Batch::add(const Position& p, uint64_t line) {
  auto& im = *impl_;
  const uint64_t row = im.rows++;
  RecordId id = 0;
  bool clamped = false;
  std::string why = check_position(*im.sample, p, im.opt.strict, &id, &clamped);
  if (!why.empty()) {
    ++im.bad;
    if (im.errors.size() < im.opt.max_errors_kept) im.errors.push_back({row, line, p.id, std::move(why)});
    return false;
  }
  if (im.bad) return true;  // nothing will be written: keep checking, stop storing
  Stored s{id, uint8_t(p.type), uint8_t(clamped), 0, p.start, p.end, 0};
  if (!p.name.empty()) {
    s.name_offset = im.names.size();
    s.name_length = uint16_t(std::min<size_t>(p.name.size(), UINT16_MAX));
    im.names.append(p.name, 0, s.name_length);
  }
  im.clamped += clamped;
  im.mem.push_back(s);
  if (im.mem.size() >= im.opt.spool_after) im.spool_out();
  return true;
}

void Batch::add_error(uint64_t line, std::string id, std::string reason) {
  auto& im = *impl_;
  const uint64_t row = im.rows++;
  ++im.bad;
  if (im.errors.size() < im.opt.max_errors_kept) im.errors.push_back({row, line, std::move(id), std::move(reason)});
}

uint64_t Batch::size() const noexcept { return impl_->rows; }
uint64_t Batch::error_count() const noexcept { return impl_->bad; }
const std::vector<RowError>& Batch::errors() const noexcept { return impl_->errors; }
uint64_t Batch::clamped() const noexcept { return impl_->clamped; }
void Batch::set_with_names(bool v) noexcept { impl_->with_names = v; }
bool Batch::with_names() const noexcept { return impl_->with_names; }
size_t Batch::bytes_per_position() noexcept { return sizeof(Stored); }

void Batch::throw_if_invalid() const {
  const auto& im = *impl_;
  if (im.bad == 0) return;
  std::string msg = std::to_string(im.bad) + " of " + std::to_string(im.rows) +
                    (im.rows == 1 ? " position is" : " positions are") + " invalid";
  if (im.errors.size() < im.bad) msg += " (the first " + std::to_string(im.errors.size()) + " are listed)";
  throw Error(Errc::bad_positions, msg, im.errors);
}

Summary Batch::write(RowWriter& writer, const std::function<void(uint64_t, uint64_t)>& progress) {
  auto& im = *impl_;
  throw_if_invalid();
  const Sample& s = *im.sample;
  const auto& recs = s.index().impl().records;
  const auto& strings = s.index().impl().strings;
  const bool sort_by_offset = s.source().access_granularity() > 0;
  unsigned threads = im.opt.threads ? im.opt.threads : std::max(1u, std::thread::hardware_concurrency());

  auto meta_of = [&](const Stored& e) {
    const auto& r = recs[e.record];
    RowMeta m;
    m.id = strings.substr(r.name_offset, r.name_length);
    m.start = e.start;
    m.end = e.end;
    m.type = SeqType(e.type);
    if (e.name_length) m.name = std::string_view(im.names).substr(e.name_offset, e.name_length);
    return m;
  };
  auto bases_of = [&](const Stored& e) {
    const uint64_t end = std::min(e.end, recs[e.record].length);
    return e.start < end ? end - e.start : 0;
  };

  writer.begin();
  const uint64_t total = im.rows;
  std::vector<Stored> chunk;
  std::vector<std::string> seqs;
  std::vector<uint32_t> order;
  uint64_t next = 0;
  while (next < total) {
    // Take rows until the chunk is full or a long row comes; a long row streams alone.
    const size_t max_rows = sort_by_offset ? k_sorted_chunk_rows : k_chunk_rows;
    const uint64_t max_bases = sort_by_offset ? k_sorted_chunk_bases : k_chunk_bases;
    im.load(next, size_t(std::min<uint64_t>(max_rows, total - next)), chunk);
    size_t n = 0;
    uint64_t bases = 0;
    while (n < chunk.size()) {
      const uint64_t b = bases_of(chunk[n]);
      if (b > k_long_row_bases || (n > 0 && bases + b > max_bases)) break;
      bases += b;
      ++n;
    }
    if (n == 0) {  // a long row
      const Stored& e = chunk[0];
      writer.begin_row(meta_of(e));
      s.fetch_pieces(e.record, e.start, e.end, SeqType(e.type), [&](std::string_view p) { writer.piece(p); });
      writer.end_row();
      ++next;
      continue;
    }
    seqs.assign(n, std::string());
    order.resize(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = i;
    if (sort_by_offset)
      std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return chunk[a].record != chunk[b].record ? chunk[a].record < chunk[b].record
                                                  : chunk[a].start < chunk[b].start;
      });
    auto work = [&](size_t lo, size_t hi) {
      for (size_t k = lo; k < hi; ++k) {
        const Stored& e = chunk[order[k]];
        s.fetch(e.record, e.start, e.end, SeqType(e.type), seqs[order[k]]);
      }
    };
    const unsigned t = (n < 64 || threads < 2) ? 1 : threads;
    if (t == 1) {
      work(0, n);
    } else {
      // Contiguous slices of the sorted order: each thread walks its own part of the file.
      std::vector<std::thread> pool;
      std::exception_ptr failure;
      std::mutex m;
      for (unsigned i = 0; i < t; ++i) {
        pool.emplace_back([&, i] {
          try {
            work(n * i / t, n * (i + 1) / t);
          } catch (...) {
            std::lock_guard<std::mutex> g(m);
            if (!failure) failure = std::current_exception();
          }
        });
      }
      for (auto& th : pool) th.join();
      if (failure) std::rethrow_exception(failure);
    }
    for (size_t i = 0; i < n; ++i) writer.row(meta_of(chunk[i]), seqs[i]);
    next += n;
    if (progress) progress(next, total);
  }
  Summary sum{im.rows, im.clamped};
  writer.finish(sum);
  return sum;
}

}  // namespace ofq
