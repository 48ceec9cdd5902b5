// Opening a sample (index reused, rebuilt or refused) and the fetch path: line geometry to
// byte ranges, one read per region, newlines squeezed out in place, complement by table.
#include "ofq/sample.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fasta_index_internal.hpp"
#include "index_build_internal.hpp"
#include "ofq/error.hpp"

namespace ofq {
namespace {

// SEMANTICS.md's complement table, case kept; everything else maps to itself.
struct ComplementTable {
  char c[256];
  constexpr explicit ComplementTable(bool rna) : c() {
    for (int i = 0; i < 256; ++i) c[i] = char(i);
    const char* from = "ACGTURYSWKMBDHVN";
    const char* to = rna ? "UGCAAYRSWMKVHDBN" : "TGCAAYRSWMKVHDBN";
    for (int i = 0; from[i]; ++i) {
      c[uint8_t(from[i])] = to[i];
      c[uint8_t(from[i] + 32)] = char(to[i] + 32);
    }
  }
};
constexpr ComplementTable k_dna(false);
constexpr ComplementTable k_rna(true);

class PlainSource final : public ByteSource {
public:
  PlainSource(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  ~PlainSource() override { ::close(fd_); }
  void read_at(uint64_t offset, std::span<char> out) const override {
    char* p = out.data();
    size_t n = out.size();
    while (n) {
      ssize_t got = ::pread(fd_, p, n, off_t(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw Error(Errc::io_error, path_ + ": read failed: " + std::strerror(errno));
      if (got == 0)
        throw Error(Errc::corrupt_input, path_ + ": the file is shorter than its index says (ends before byte " +
                                             std::to_string(offset + 1) +
                                             "); it changed after indexing: run 'ofq index'");
      p += got;
      n -= size_t(got);
      offset += uint64_t(got);
    }
  }
  uint64_t size() const noexcept override { return size_; }

private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

[[noreturn]] void moved_bytes(const std::string& path, std::string_view rec, uint64_t offset) {
  throw Error(Errc::corrupt_input, path + ": record '" + std::string(rec) +
                                       "': no line end at byte " + std::to_string(offset) +
                                       " where the index has one; the file changed after "
                                       "indexing: run 'ofq index'");
}

// Appends bases [b0, b1) of one geometry (first base at `offset`, L bases a line, lines B
// bytes apart) to out, with a single read.
void read_geometry(const ByteSource& src, const std::string& path, std::string_view rec,
                   uint64_t offset, uint64_t L, uint64_t B, uint64_t b0, uint64_t b1,
                   std::string& out) {
  const uint64_t first = offset + b0 / L * B + b0 % L;
  const uint64_t last = offset + (b1 - 1) / L * B + (b1 - 1) % L;
  const size_t nbytes = size_t(last - first + 1);
  const size_t at = out.size();
  out.resize(at + nbytes);
  char* buf = out.data() + at;
  src.read_at(first, {buf, nbytes});
  if (B == L || (b0 / L) == ((b1 - 1) / L)) {  // one line: nothing to squeeze
    out.resize(at + size_t(b1 - b0));
    return;
  }
  // Squeeze the line ends out, checking that each is where the index says.
  char* w = buf;
  const char* r = buf;
  const char* const rend = buf + nbytes;
  size_t take = size_t(L - b0 % L);
  const size_t gap = size_t(B - L);
  while (r < rend) {
    const size_t n = std::min<size_t>(take, size_t(rend - r));
    if (w != r) std::memmove(w, r, n);
    w += n;
    r += n;
    if (r >= rend) break;
    if (r + gap > rend || r[gap - 1] != '\n')
      moved_bytes(path, rec, first + uint64_t(r - buf) + gap - 1);
    r += gap;
    take = size_t(L);
  }
  out.resize(size_t(w - out.data()));
}

void transform(std::string& s, size_t from, SeqType type, Alphabet a) {
  if (type == SeqType::raw) return;
  const char* t = a == Alphabet::rna ? k_rna.c : k_dna.c;
  char* b = s.data() + from;
  char* e = s.data() + s.size();
  if (type == SeqType::complement) {
    for (char* p = b; p < e; ++p) *p = t[uint8_t(*p)];
    return;
  }
  // Reverse and complement in one pass from both ends.
  if (b == e) return;
  char* l = b;
  char* r = e - 1;
  while (l < r) {
    const char x = t[uint8_t(*l)];
    *l = t[uint8_t(*r)];
    *r = x;
    ++l;
    --r;
  }
  if (l == r) *l = t[uint8_t(*l)];
}

}  // namespace

std::unique_ptr<ByteSource> open_plain_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io_error, path + ": cannot open: " + std::strerror(errno));
  off_t size = ::lseek(fd, 0, SEEK_END);
  return std::make_unique<PlainSource>(fd, uint64_t(size), path);
}

Sample::Sample(FastaIndex index, std::unique_ptr<ByteSource> source, std::string path)
    : index_(std::move(index)), source_(std::move(source)), path_(std::move(path)) {}
Sample::~Sample() = default;

std::shared_ptr<const Sample> Sample::open(const std::string& fasta_path, const IndexOptions& opt) {
  IndexCheck chk = check_index(fasta_path, opt, opt.full_check);
  std::string index_path = chk.index_path;
  if (chk.state != IndexState::fresh) {
    if (!opt.build) {
      const char* what = chk.state == IndexState::missing ? "has no index"
                         : chk.state == IndexState::stale ? "has a stale index"
                                                          : "has a damaged index";
      throw Error(Errc::bad_index, fasta_path + " " + what +
                                       (chk.detail.empty() ? "" : " (" + chk.detail + ")") +
                                       ": run 'ofq index " + fasta_path + "'");
    }
    index_path = build_index(fasta_path, opt);
  }
  FastaIndex index = FastaIndex::open(index_path);
  std::unique_ptr<ByteSource> src;
  switch (index.compression()) {
    case Compression::plain: src = open_plain_source(fasta_path); break;
    case Compression::gzip: src = detail::open_gzip_source(fasta_path, index); break;
    case Compression::bgzf: src = detail::open_bgzf_source(fasta_path, index); break;
  }
  return std::make_shared<Sample>(std::move(index), std::move(src), fasta_path);
}

void Sample::fetch(RecordId id, uint64_t start, uint64_t end, SeqType type, std::string& out) const {
  const auto& im = index_.impl();
  const auto& e = im.records[id];
  end = std::min(end, e.length);
  if (start >= end) return;
  const Alphabet alpha = static_cast<Alphabet>(e.alphabet);
  if (type != SeqType::raw && alpha == Alphabet::protein) {
    const RecordInfo r = index_.record(id);
    throw Error(Errc::not_nucleic,
                "record '" + std::string(r.name) + "' is a protein sequence ('" +
                    std::string(1, r.foreign_letter) + "' at position " +
                    std::to_string(r.foreign_position) + " is not a nucleotide): " +
                    std::string(to_string(type)) + " needs DNA or RNA");
  }
  const size_t at = out.size();
  const std::string_view name = im.strings.substr(e.name_offset, e.name_length);
  if (e.runs_count == 0) {
    read_geometry(*source_, path_, name, e.sequence_offset, e.line_bases, e.line_bytes, start, end, out);
  } else {
    if (e.runs_begin + e.runs_count > im.runs.size())
      throw Error(Errc::bad_index, index_.path() + ": damaged index (geometry of record '" +
                                       std::string(name) + "'); rebuild it with 'ofq index'");
    auto runs = im.runs.subspan(size_t(e.runs_begin), e.runs_count);
    auto it = std::upper_bound(runs.begin(), runs.end(), start,
                               [](uint64_t b, const format::GeometryRun& r) { return b < r.first_base; });
    for (size_t k = size_t(it - runs.begin()) - 1; k < runs.size(); ++k) {
      const auto& r = runs[k];
      const uint64_t run_end = k + 1 < runs.size() ? runs[k + 1].first_base : e.length;
      if (r.first_base >= end) break;
      const uint64_t b0 = std::max(start, r.first_base) - r.first_base;
      const uint64_t b1 = std::min(end, run_end) - r.first_base;
      if (b0 >= b1) continue;
      // A run of one line longer than 4 GiB stores UINT32_MAX: its bases are contiguous.
      const uint64_t L = r.line_bases == UINT32_MAX ? run_end - r.first_base : r.line_bases;
      const uint64_t B = r.line_bytes == UINT32_MAX ? L : r.line_bytes;
      read_geometry(*source_, path_, name, r.offset, L, B, b0, b1, out);
    }
  }
  transform(out, at, type, alpha);
}

void Sample::fetch_pieces(RecordId id, uint64_t start, uint64_t end, SeqType type,
                          const std::function<void(std::string_view)>& sink, uint64_t piece_bases) const {
  end = std::min(end, index_.impl().records[id].length);
  if (start >= end) return;
  std::string buf;
  if (piece_bases == 0) piece_bases = 1u << 20;
  if (type == SeqType::reverse_complement) {
    for (uint64_t hi = end; hi > start;) {
      const uint64_t lo = hi - std::min(piece_bases, hi - start);
      buf.clear();
      fetch(id, lo, hi, type, buf);
      sink(buf);
      hi = lo;
    }
  } else {
    for (uint64_t lo = start; lo < end;) {
      const uint64_t hi = lo + std::min(piece_bases, end - lo);
      buf.clear();
      fetch(id, lo, hi, type, buf);
      sink(buf);
      lo = hi;
    }
  }
}

}  // namespace ofq
